/*
 * Broadsheet default theme: progressive enhancement only. Every page works without this file.
 *
 * The nav toggle. Without JavaScript the "Reveal Navigation" button keeps its hidden attribute
 * and the nav is shown at every width. Here we mark <html class="js"> (the CSS collapses the
 * nav at narrow widths only under html.js), reveal the button, and keep its aria-expanded equal
 * to whether the nav is actually displayed: after a press, after Escape and after any resize
 * (at wide widths the CSS always shows the nav and hides the button).
 *
 * Loaded with <script defer> from the fingerprinted URL; the CSP forbids inline script.
 */
(function () {
    'use strict';

    var root = document.documentElement;
    if (root.classList) {
        root.classList.add('js');
    } else {
        root.className += ' js';
    }

    var button = document.querySelector('.nav-toggle');
    var nav = document.getElementById('site-nav');
    if (!button || !nav || !window.getComputedStyle) {
        return;
    }

    /* True when the CSS currently displays the nav (it decides the breakpoint). */
    function navShown() {
        return window.getComputedStyle(nav).display !== 'none';
    }

    /* True when the button is on screen, i.e. we are at a narrow width. */
    function buttonShown() {
        return window.getComputedStyle(button).display !== 'none';
    }

    /* Makes aria-expanded tell the truth about the nav. */
    function sync() {
        button.setAttribute('aria-expanded', navShown() ? 'true' : 'false');
    }

    function setOpen(open) {
        if (open) {
            nav.classList.add('is-open');
        } else {
            nav.classList.remove('is-open');
        }
        sync();
    }

    button.removeAttribute('hidden');

    button.addEventListener('click', function () {
        setOpen(!navShown());
    });

    document.addEventListener('keydown', function (event) {
        var isEscape = event.key === 'Escape' || event.key === 'Esc';
        if (!isEscape || !nav.classList.contains('is-open') || !buttonShown()) {
            return;
        }
        setOpen(false);
        button.focus();
    });

    window.addEventListener('resize', sync);
    if (window.matchMedia) {
        var query = window.matchMedia('(max-width: 40em)');
        if (query.addEventListener) {
            query.addEventListener('change', sync);
        } else if (query.addListener) {
            query.addListener(sync);
        }
    }

    sync();
})();
