/*! AgentDesk chat launcher (widget.js). No dependencies.
 *
 * Embedding: the WordPress plugin sets window.agentdeskWidgetConfig = { widgetKey, apiUrl } before
 * this script; any other page can use <script src=".../widget.js" data-widget-key="pub_…" async>.
 * It reads the bot's public config (GET {apiUrl}/bots/config/{widgetKey}) and shows a launcher that
 * opens a panel with the bot's welcome message. Only the public widget key is ever used here.
 *
 * The conversation itself is served by AgentDesk's chat backend, which is not part of this
 * service: this script shows the launcher and the welcome message only.
 */
(function () {
  'use strict';
  if (window.__agentdeskWidget) return;
  window.__agentdeskWidget = true;

  var script = document.currentScript;
  var given = window.agentdeskWidgetConfig || {};
  var widgetKey = given.widgetKey || (script && script.getAttribute('data-widget-key')) || '';
  var apiUrl = given.apiUrl || (script && script.getAttribute('data-api-url')) || '';
  if (!apiUrl && script && script.src) apiUrl = new URL(script.src).origin + '/api';
  apiUrl = String(apiUrl).replace(/\/+$/, '');
  if (!/^pub_[A-Za-z0-9_-]{10,64}$/.test(widgetKey) || !apiUrl) {
    if (window.console) console.warn('AgentDesk widget: missing or malformed widget key');
    return;
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    for (var name in attributes) node.setAttribute(name, attributes[name]);
    if (text) node.textContent = text;
    return node;
  }

  var STYLE =
    ':host{all:initial}' +
    '.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;padding:14px 20px;' +
    'background:#1f6feb;color:#fff;font:600 15px/1.2 system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}' +
    '.panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:320px;max-width:calc(100vw - 40px);background:#fff;' +
    'color:#1b1f24;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);font:14px/1.45 system-ui,sans-serif;overflow:hidden}' +
    '.panel[hidden]{display:none}' +
    '.head{display:flex;justify-content:space-between;align-items:center;padding:12px 16px;background:#1f6feb;color:#fff;font-weight:600}' +
    '.close{background:none;border:0;color:#fff;font-size:20px;cursor:pointer;line-height:1}' +
    '.body{padding:16px}' +
    '.bubble{background:#f1f3f5;border-radius:10px;padding:10px 12px;white-space:pre-wrap}';

  function render(config) {
    var host = element('div', { id: 'agentdesk-widget', 'data-widget-key': widgetKey });
    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    root.appendChild(element('style', {}, STYLE));

    var name = config.name || 'Chat';
    var panel = element('div', { class: 'panel', role: 'dialog', 'aria-label': name, hidden: '' });
    var head = element('div', { class: 'head' });
    head.appendChild(element('span', {}, name));
    var close = element('button', { class: 'close', type: 'button', 'aria-label': 'Close' }, '\u00d7');
    head.appendChild(close);
    panel.appendChild(head);
    var body = element('div', { class: 'body' });
    body.appendChild(element('div', { class: 'bubble' }, config.welcome_message || 'Hello! How can we help?'));
    panel.appendChild(body);

    var launcher = element('button', { class: 'launcher', type: 'button', 'aria-expanded': 'false' }, name);
    function toggle(open) {
      if (open) panel.removeAttribute('hidden');
      else panel.setAttribute('hidden', '');
      launcher.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
    launcher.addEventListener('click', function () {
      toggle(panel.hasAttribute('hidden'));
    });
    close.addEventListener('click', function () {
      toggle(false);
    });

    root.appendChild(panel);
    root.appendChild(launcher);
    if (config.language) host.setAttribute('lang', config.language);
    document.body.appendChild(host);
  }

  function start() {
    fetch(apiUrl + '/bots/config/' + encodeURIComponent(widgetKey), { credentials: 'omit' })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(render)
      .catch(function (error) {
        if (window.console) console.warn('AgentDesk widget: could not load the bot configuration (' + error.message + ')');
      });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
