/*
 * Broadsheet default theme: advertising, the reader's side. See docs/theme.md, "Advertising".
 *
 * Pages are the same for every reader (they are cached), so the creatives are not in them. This
 * script reads the page's ad configuration (the hidden #ad-config element: which placements are
 * on, the paragraph the in-article ad follows, the page's publication and section), asks
 * GET /ads/slots for the placements whose slots this page has, and fills in what comes back.
 * The server decides everything about the reader (the interstitial's frequency cap, ad-free
 * subscribers, targeting); an empty answer, an error or a 404 leave the slots empty, quietly.
 *
 * - leaderboard, sidebar, in-article: an <aside class="ad"> in the slot, with the creative (an
 *   image linking to /ads/click/ID, or a sandboxed iframe for an HTML tag) and a visible
 *   "Advertisement" label. The in-article slot moves to just after paragraph k of the body when
 *   the body has more text after that paragraph.
 * - interstitial: a modal dialog over the whole page ("This ad will end in N seconds", "Close X")
 *   that ends by itself, closes on Escape or the button, traps focus while open and gives it
 *   back afterwards. The rest of the page is inert meanwhile.
 * An impression beacon (navigator.sendBeacon, a POST without a body) is sent once for each
 * creative when it is put on the page (the interstitial's when the dialog opens). Once the
 * answer has been dealt with (or failed), #ad-config gets data-ads="done".
 *
 * No styles are set here (the CSP forbids inline styles): only classes and the width/height
 * attributes of the creative, which reserve its space before it loads. Timers are setInterval
 * and setTimeout, which Playwright's clock control fakes in the browser tests.
 */
(function () {
    'use strict';

    var config = document.getElementById('ad-config');
    if (!config || !window.fetch || !window.URLSearchParams || !document.querySelector) {
        return;
    }

    var SLOTS = {
        interstitial: 'ad-interstitial',
        leaderboard: 'ad-leaderboard',
        'in-article': 'ad-in-article',
        sidebar: 'ad-sidebar',
    };
    var FRAME_SANDBOX = 'allow-scripts allow-popups allow-popups-to-escape-sandbox';

    function slotFor(placement) {
        return document.querySelector('.slot[data-slot="' + SLOTS[placement] + '"]');
    }

    /* The configured placements that this page has an (empty) slot for, once each. */
    var wanted = [];
    (config.getAttribute('data-placements') || '').split(',').forEach(function (name) {
        var p = name.trim().toLowerCase();
        if (Object.prototype.hasOwnProperty.call(SLOTS, p) && wanted.indexOf(p) < 0) {
            var slot = slotFor(p);
            if (slot && !slot.firstChild) {
                wanted.push(p);
            }
        }
    });
    if (!wanted.length) {
        return;
    }

    /* A path on this site ("/ads/…"), nothing else: creatives and beacons are served by us. */
    function localPath(u) {
        return typeof u === 'string' && /^\/(?![\/\\])/.test(u) ? u : null;
    }

    function size(n) {
        n = Number(n);
        return Number.isInteger(n) && n > 0 && n <= 4000 ? n : 0;
    }

    function make(tag, className, text) {
        var el = document.createElement(tag);
        if (className) {
            el.className = className;
        }
        if (text) {
            el.textContent = text;
        }
        return el;
    }

    /* The creative's element (a linked image, or an iframe), or null if the ad is malformed. */
    function creative(ad) {
        var width = size(ad.width), height = size(ad.height);
        if (ad.kind === 'html') {
            var src = localPath(ad.frame);
            if (!src) {
                return null;
            }
            var frame = make('iframe', 'ad-frame');
            frame.setAttribute('sandbox', FRAME_SANDBOX);
            frame.setAttribute('title', 'Advertisement');
            if (width && height) {
                frame.setAttribute('width', String(width));
                frame.setAttribute('height', String(height));
            }
            frame.src = src;
            return frame;
        }
        var image = localPath(ad.image);
        if (ad.kind !== 'image' || !image) {
            return null;
        }
        var img = make('img', 'ad-image');
        img.alt = typeof ad.alt === 'string' && ad.alt.trim() ? ad.alt : 'Advertisement';
        if (width && height) {
            img.setAttribute('width', String(width));
            img.setAttribute('height', String(height));
        }
        img.decoding = 'async';
        img.src = image;
        var href = localPath(ad.href);
        if (!href) {
            return img;
        }
        var link = make('a', 'ad-link');
        link.href = href;
        link.rel = 'sponsored noopener';
        link.appendChild(img);
        return link;
    }

    /* Counts an impression: a POST without a body to the creative's beacon URL. */
    function impression(ad) {
        var url = localPath(ad.beacon);
        if (!url) {
            return;
        }
        try {
            if (navigator.sendBeacon && navigator.sendBeacon(url)) {
                return;
            }
        } catch (e) {
            /* fall back to fetch */
        }
        fetch(url, { method: 'POST', credentials: 'same-origin', keepalive: true })
            .catch(function () {});
    }

    /* <aside class="ad" aria-label="Advertisement">CREATIVE<span class="ad-label">…</span></aside> */
    function fill(slot, placement, ad) {
        var el = creative(ad);
        if (!el) {
            return false;
        }
        var aside = make('aside', 'ad ad-' + placement + ' ad-kind-' + (ad.kind === 'html' ? 'html' : 'image'));
        aside.setAttribute('aria-label', 'Advertisement');
        aside.appendChild(el);
        var label = make('span', 'ad-label', 'Advertisement');
        label.setAttribute('aria-hidden', 'true'); /* the landmark already says so */
        aside.appendChild(label);
        slot.appendChild(aside);
        return true;
    }

    /* Moves the in-article slot to just after paragraph k of the body (counting the body's own
     * paragraphs, including those of an entitled reader's .paywalled part), when the body has
     * more than k of them; otherwise it stays where it is, after the body. */
    function placeInArticle(slot) {
        var k = parseInt(config.getAttribute('data-in-article-after'), 10);
        var body = document.querySelector('.article-body');
        if (!body || !(k >= 1)) {
            return;
        }
        var paragraphs = body.querySelectorAll(':scope > p, :scope > .paywalled > p');
        if (paragraphs.length > k) {
            paragraphs[k - 1].insertAdjacentElement('afterend', slot);
        }
    }

    /* ---- the interstitial ------------------------------------------------------------------ */

    function countdownText(n) {
        return 'This ad will end in ' + n + (n === 1 ? ' second' : ' seconds');
    }

    function focusables(root) {
        return Array.prototype.filter.call(
            root.querySelectorAll('a[href], button:not([disabled]), iframe, [tabindex]:not([tabindex="-1"])'),
            function (el) {
                return el.getClientRects().length > 0;
            });
    }

    function openInterstitial(slot, ad) {
        var el = creative(ad);
        if (!el) {
            return false;
        }
        var seconds = size(ad.seconds) || 10;
        if (seconds > 120) {
            seconds = 120;
        }
        var previous = document.activeElement;

        var overlay = make('div', 'ad-interstitial');
        overlay.setAttribute('role', 'dialog');
        overlay.setAttribute('aria-modal', 'true');
        overlay.setAttribute('aria-labelledby', 'ad-interstitial-title');
        overlay.setAttribute('aria-describedby', 'ad-interstitial-countdown');
        var card = make('div', 'ad-interstitial-card');
        var title = make('h2', 'visually-hidden', 'Advertisement');
        title.id = 'ad-interstitial-title';
        var bar = make('div', 'ad-interstitial-bar');
        /* The visible countdown ticks every second; role=timer keeps screen readers from
         * announcing each tick (its implicit aria-live is off). The dialog's description is this
         * text, so opening the dialog announces it once; the polite live region below speaks
         * once more, five seconds before the end. */
        var countdown = make('p', 'ad-countdown', countdownText(seconds));
        countdown.id = 'ad-interstitial-countdown';
        countdown.setAttribute('role', 'timer');
        countdown.setAttribute('aria-atomic', 'true');
        var live = make('p', 'visually-hidden ad-announce');
        live.setAttribute('aria-live', 'polite');
        live.setAttribute('aria-atomic', 'true');
        /* The button reads "Close X", but the X is drawn by CSS (.ad-close-x::before), not text:
         * a letter X in the text would be part of the visible label, which the accessible name
         * "Close advertisement" must then contain (WCAG 2.5.3, label in name). */
        var close = make('button', 'ad-close');
        close.type = 'button';
        close.setAttribute('aria-label', 'Close advertisement');
        close.appendChild(document.createTextNode('Close '));
        var x = make('span', 'ad-close-x');
        x.setAttribute('aria-hidden', 'true');
        close.appendChild(x);
        bar.appendChild(countdown);
        bar.appendChild(close);
        var box = make('div', 'ad-interstitial-creative');
        box.appendChild(el);
        var label = make('span', 'ad-label', 'Advertisement');
        label.setAttribute('aria-hidden', 'true');
        box.appendChild(label);
        card.appendChild(title);
        card.appendChild(bar);
        card.appendChild(box);
        card.appendChild(live);
        overlay.appendChild(card);

        /* Everything else becomes inert (out of the tab order and the accessibility tree). The
         * dialog is a child of <body>, so its siblings can be made inert without it. */
        var madeInert = [];
        Array.prototype.forEach.call(document.body.children, function (child) {
            if (child.tagName === 'SCRIPT' || child.hasAttribute('inert')) {
                return;
            }
            child.setAttribute('inert', '');
            madeInert.push(child);
        });
        document.body.appendChild(overlay);
        document.documentElement.classList.add('ad-interstitial-open');

        var left = seconds;
        var open = true;
        var timer = setInterval(function () {
            left -= 1;
            if (left <= 0) {
                finish();
                return;
            }
            countdown.textContent = countdownText(left);
            if (left === 5 && seconds > 5) {
                live.textContent = countdownText(left);
            }
        }, 1000);

        function onKey(event) {
            if (event.key === 'Escape' || event.key === 'Esc') {
                event.preventDefault();
                event.stopPropagation();
                finish();
                return;
            }
            if (event.key !== 'Tab') {
                return;
            }
            var items = focusables(overlay);
            if (!items.length) {
                event.preventDefault();
                return;
            }
            var first = items[0], last = items[items.length - 1];
            var active = document.activeElement;
            if (event.shiftKey && (active === first || !overlay.contains(active))) {
                event.preventDefault();
                last.focus();
            } else if (!event.shiftKey && (active === last || !overlay.contains(active))) {
                event.preventDefault();
                first.focus();
            }
        }

        /* Focus that escapes anyway (a click on the backdrop, the browser's own UI) comes back. */
        function onFocusIn(event) {
            if (open && !overlay.contains(event.target)) {
                close.focus();
            }
        }

        function finish() {
            if (!open) {
                return;
            }
            open = false;
            clearInterval(timer);
            document.removeEventListener('keydown', onKey, true);
            document.removeEventListener('focusin', onFocusIn, true);
            madeInert.forEach(function (child) {
                child.removeAttribute('inert');
            });
            document.documentElement.classList.remove('ad-interstitial-open');
            overlay.parentNode.removeChild(overlay);
            var back = previous && previous !== document.body && document.contains(previous)
                ? previous : document.getElementById('main');
            if (back && back.focus) {
                back.focus({ preventScroll: true });
            }
        }

        close.addEventListener('click', finish);
        document.addEventListener('keydown', onKey, true);
        document.addEventListener('focusin', onFocusIn, true);
        close.focus({ preventScroll: true });
        impression(ad);
        return true;
    }

    /* ---- ask the server -------------------------------------------------------------------- */

    var params = new URLSearchParams();
    params.set('placements', wanted.join(','));
    ['publication', 'section'].forEach(function (name) {
        var value = config.getAttribute('data-' + name);
        if (value) {
            params.set(name, value);
        }
    });

    fetch('/ads/slots?' + params.toString(), {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
    })
        .then(function (res) {
            return res.ok ? res.json() : null;
        })
        .then(function (data) {
            var ads = data && typeof data === 'object' && data.ads;
            if (!ads || typeof ads !== 'object') {
                return;
            }
            wanted.forEach(function (placement) {
                var ad = ads[placement];
                var slot = slotFor(placement);
                if (!ad || typeof ad !== 'object' || !slot || slot.firstChild) {
                    return;
                }
                var shown = placement === 'interstitial'
                    ? openInterstitial(slot, ad) : fill(slot, placement, ad);
                if (!shown) {
                    return;
                }
                if (placement === 'in-article') {
                    placeInArticle(slot);
                }
                if (placement !== 'interstitial') {
                    impression(ad);
                }
            });
        })
        .catch(function () {
            /* no ads this time: the page is complete without them */
        })
        .then(function () {
            /* Done, whatever the answer: tests (and anything else) can wait for this. */
            config.setAttribute('data-ads', 'done');
        });
})();
