/*
 * Broadsheet default theme: the outdated-browser notice. See docs/theme.md, "The outdated-browser
 * notice".
 *
 * The page is the same for every reader (it is cached and never varies by User-Agent), so the
 * notice is always in the HTML, hidden, and this script decides in the browser: a reader whose
 * browser is a known one older than the minimum written on the notice (data-min-chrome="120",
 * data-min-edge, data-min-firefox, data-min-safari), or any Internet Explorer, sees it, unless
 * they have dismissed it. Unknown browsers (bots, other engines) never see it.
 * "Close and don't show again." hides it and remembers that for a year in the cookie
 * bs_browser_notice=dismissed (and in localStorage where there is one).
 *
 * Written in ES3 on purpose, so that it runs in the very browsers it is for: var and function
 * only, no JSON, no classList, attachEvent where there is no addEventListener. A classic script
 * (not a module), loaded with defer.
 */
(function () {
    var KEY = 'bs_browser_notice';
    var DISMISSED = 'dismissed';

    /* The browser and its major version from a User-Agent string: {key, version} or null. Edge
     * and the Chromium-based browsers say "Chrome/" too, so the order of the tests matters. */
    function identify(ua) {
        var m;
        if (!ua || /bot|crawl|spider|slurp|preview|facebookexternalhit/i.test(ua)) {
            return null;
        }
        if (/MSIE |Trident\//.test(ua)) {
            return { key: 'ie', version: 0 };
        }
        m = /\bEdg(?:e|A|iOS)?\/(\d+)/.exec(ua);
        if (m) {
            return { key: 'edge', version: parseInt(m[1], 10) };
        }
        m = /\b(?:Firefox|FxiOS)\/(\d+)/.exec(ua);
        if (m) {
            return { key: 'firefox', version: parseInt(m[1], 10) };
        }
        m = /\b(?:HeadlessChrome|Chrome|Chromium|CriOS)\/(\d+)/.exec(ua);
        if (m) {
            return { key: 'chrome', version: parseInt(m[1], 10) };
        }
        m = /\bVersion\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//.exec(ua);
        if (m && !/Android/.test(ua)) {
            return { key: 'safari', version: parseInt(m[1], 10) };
        }
        return null;
    }

    function dismissed() {
        if ((' ' + document.cookie + ';').indexOf(' ' + KEY + '=' + DISMISSED + ';') >= 0) {
            return true;
        }
        try {
            return !!(window.localStorage && window.localStorage.getItem(KEY) === DISMISSED);
        } catch (e) {
            return false;
        }
    }

    function remember() {
        var expires = new Date(new Date().getTime() + 31536000000);
        /* Max-Age for every browser that knows it; Expires for the old ones that do not. */
        document.cookie = KEY + '=' + DISMISSED + '; Max-Age=31536000; Expires=' +
            expires.toUTCString() + '; Path=/; SameSite=Lax';
        try {
            if (window.localStorage) {
                window.localStorage.setItem(KEY, DISMISSED);
            }
        } catch (e) {
            /* storage off or full: the cookie is enough */
        }
    }

    function listen(el, type, fn) {
        if (el.addEventListener) {
            el.addEventListener(type, fn, false);
        } else if (el.attachEvent) {
            el.attachEvent('on' + type, fn);
        }
    }

    function findButton(notice) {
        var buttons = notice.getElementsByTagName('button');
        var i;
        for (i = 0; i < buttons.length; i++) {
            if ((' ' + buttons[i].className + ' ').indexOf(' browser-notice-close ') >= 0) {
                return buttons[i];
            }
        }
        return null;
    }

    function start() {
        var notice = document.getElementById('browser-notice');
        var browser, min, button;
        if (!notice || dismissed()) {
            return;
        }
        browser = identify(navigator.userAgent);
        if (!browser || !notice.getElementsByTagName('li').length) {
            return;
        }
        if (browser.key !== 'ie') {
            min = parseInt(notice.getAttribute('data-min-' + browser.key), 10);
            if (!(min > 0) || !(browser.version > 0) || browser.version >= min) {
                return;
            }
        }
        button = findButton(notice);
        if (button) {
            listen(button, 'click', function () {
                remember();
                /* The button goes with the notice; the browser's sequential focus starting point
                 * stays where it was, so the next Tab goes on to the masthead. */
                notice.setAttribute('hidden', 'hidden');
            });
        }
        notice.removeAttribute('hidden');
    }

    /* Deferred scripts run once the document is parsed; old browsers that ran it early wait. */
    if (document.getElementById('browser-notice')) {
        start();
    } else {
        listen(window, 'load', start);
    }
})();
