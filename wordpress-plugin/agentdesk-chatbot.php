<?php
/**
 * Plugin Name:       AgentDesk Chatbot
 * Description:       Shows your AgentDesk chat bot on your site and keeps AgentDesk informed that the plugin is connected.
 * Version:           1.3.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Author:            AgentDesk
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       agentdesk-chatbot
 * Domain Path:       /languages
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

// Must match the "Version" header above: the service's /api/wordpress/plugin/info reads that header.
define( 'AGENTDESK_VERSION', '1.3.0' );
define( 'AGENTDESK_PLUGIN_FILE', __FILE__ );
define( 'AGENTDESK_PLUGIN_DIR', plugin_dir_path( __FILE__ ) );

// A site may point the plugin at another AgentDesk service from wp-config.php; then the settings
// page shows that URL and does not let it be changed. Otherwise the default is the service this
// copy was downloaded from: its build (the service's scripts/build-plugin.ts) writes it here.
if ( defined( 'AGENTDESK_API_URL' ) ) {
	define( 'AGENTDESK_API_URL_FROM_CONFIG', true );
} else {
	define( 'AGENTDESK_API_URL', '' );
}

require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-api.php';
require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-validator.php';
require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-site-facts.php';
require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-attention.php';
require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-heartbeat.php';
require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-admin.php';
require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-connect.php';
require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-notices.php';
require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-widget.php';
require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-site-health.php';
require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-updater.php'; // Direct build only.

/**
 * The plugin's objects, built once.
 *
 * @return array{api: AgentDesk_API, heartbeat: AgentDesk_Heartbeat, validator: AgentDesk_Validator}
 */
function agentdesk_chatbot() {
	static $plugin = null;
	if ( null === $plugin ) {
		$api    = new AgentDesk_API();
		$plugin = array(
			'api'       => $api,
			'validator' => new AgentDesk_Validator( $api ),
			'heartbeat' => new AgentDesk_Heartbeat( $api ),
		);
	}
	return $plugin;
}

/**
 * Wires every hook of the plugin.
 */
function agentdesk_chatbot_init() {
	$plugin = agentdesk_chatbot();
	$plugin['heartbeat']->register();
	( new AgentDesk_Widget( $plugin['api'] ) )->register();
	( new AgentDesk_Updater( $plugin['api'] ) )->register(); // Direct build only.
	( new AgentDesk_Site_Health( $plugin['api'] ) )->register();
	if ( is_admin() ) {
		$admin = new AgentDesk_Admin( $plugin['api'], $plugin['validator'], $plugin['heartbeat'] );
		$admin->register();
		( new AgentDesk_Connect( $plugin['api'], $plugin['validator'], $plugin['heartbeat'] ) )->register();
		( new AgentDesk_Notices( $plugin['api'], $admin ) )->register();
	}
	if ( defined( 'WP_CLI' ) && WP_CLI && class_exists( 'WP_CLI' ) ) {
		require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-cli.php';
		WP_CLI::add_command( 'agentdesk', new AgentDesk_CLI( $plugin['api'], $plugin['validator'], $plugin['heartbeat'] ) );
	}
}
add_action( 'plugins_loaded', 'agentdesk_chatbot_init' );

/**
 * Loads the translations of the text domain.
 */
function agentdesk_chatbot_load_textdomain() {
	load_plugin_textdomain( 'agentdesk-chatbot', false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );
}
add_action( 'init', 'agentdesk_chatbot_load_textdomain' );

/**
 * Activation: resumes the heartbeat when a token is already saved (a reactivated plugin), on
 * every site of the network when network-activated.
 *
 * @param bool $network_wide Whether the plugin is network-activated.
 */
function agentdesk_chatbot_activate( $network_wide = false ) {
	$plugin = agentdesk_chatbot();
	$plugin['heartbeat']->on_activation( (bool) $network_wide );
}
register_activation_hook( __FILE__, 'agentdesk_chatbot_activate' );

/**
 * Deactivation: tells AgentDesk the plugin is off (is_active false) and clears the cron event,
 * on every site of the network when network-deactivated.
 *
 * @param bool $network_wide Whether the plugin is network-deactivated.
 */
function agentdesk_chatbot_deactivate( $network_wide = false ) {
	$plugin = agentdesk_chatbot();
	$plugin['heartbeat']->on_deactivation( (bool) $network_wide );
}
register_deactivation_hook( __FILE__, 'agentdesk_chatbot_deactivate' );
