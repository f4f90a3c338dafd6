<?php
/**
 * Drives a real WordPress from the command line, as WP-CLI would (there is no wp-cli package here).
 *
 * Usage: php wp-task.php <wordpress-root> <task> [json-arguments]
 * Prints one line "@@RESULT@@ <json>" with what the test asserts on.
 *
 * @package AgentDesk_Chatbot
 */

$agentdesk_root = rtrim( $argv[1], '/' );
$agentdesk_task = $argv[2];
$agentdesk_args = isset( $argv[3] ) ? json_decode( $argv[3], true ) : array();

// What a web request would set; WP_HOME in wp-config.php holds the real address.
$_SERVER['HTTP_HOST']   = getenv( 'AGENTDESK_E2E_HOST' ) ?: '127.0.0.1';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';

if ( 'install' === $agentdesk_task ) {
	define( 'WP_INSTALLING', true );
}
require $agentdesk_root . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

const AGENTDESK_E2E_PLUGIN = 'agentdesk-chatbot/agentdesk-chatbot.php';

/**
 * Prints the result line.
 *
 * @param mixed $value What to print.
 */
function agentdesk_e2e_out( $value ) {
	echo "\n@@RESULT@@ " . wp_json_encode( $value ) . "\n";
}

/**
 * The plugin's stored state: its options, transients and cron event.
 *
 * @return array
 */
function agentdesk_e2e_state() {
	global $wpdb;
	$names   = $wpdb->get_col( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE '%agentdesk%' ORDER BY option_name" );
	$options = array();
	foreach ( $names as $name ) {
		$options[ $name ] = get_option( $name );
	}
	$hook = 'agentdesk_heartbeat_event';
	return array(
		'options'     => (object) $options,
		'next'        => wp_next_scheduled( $hook ),
		'schedule'    => wp_get_schedule( $hook ),
		'interval'    => wp_get_schedule( $hook ) ? wp_get_schedules()[ wp_get_schedule( $hook ) ]['interval'] : null,
		'cron_hooks'  => array_values( array_unique( array_merge( array(), ...array_map( 'array_keys', array_values( array_filter( _get_cron_array(), 'is_array' ) ) ) ) ) ),
		'active'      => is_plugin_active( AGENTDESK_E2E_PLUGIN ),
		'wp_version'  => get_bloginfo( 'version' ),
		'home_url'    => home_url(),
	);
}

switch ( $agentdesk_task ) {
	case 'install':
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$agentdesk_result = wp_install( 'AgentDesk E2E', 'admin', 'admin@example.test', false, '', $agentdesk_args['password'] );
		agentdesk_e2e_out( array( 'user_id' => $agentdesk_result['user_id'], 'wp_version' => get_bloginfo( 'version' ) ) );
		break;

	case 'activate':
		$agentdesk_result = activate_plugin( AGENTDESK_E2E_PLUGIN );
		agentdesk_e2e_out( array( 'error' => is_wp_error( $agentdesk_result ) ? $agentdesk_result->get_error_message() : null ) + agentdesk_e2e_state() );
		break;

	case 'deactivate':
		deactivate_plugins( AGENTDESK_E2E_PLUGIN );
		agentdesk_e2e_out( agentdesk_e2e_state() );
		break;

	case 'uninstall':
		uninstall_plugin( AGENTDESK_E2E_PLUGIN );
		agentdesk_e2e_out( agentdesk_e2e_state() );
		break;

	case 'cron':
		// What WP-Cron does when the event is due.
		$agentdesk_started = microtime( true );
		do_action( 'agentdesk_heartbeat_event' );
		agentdesk_e2e_out( array( 'seconds' => microtime( true ) - $agentdesk_started ) + agentdesk_e2e_state() );
		break;

	case 'make-due':
		// Moves the heartbeat event (keeping its schedule) to a second ago: due at the next wp-cron.php run.
		// Works on the cron array itself, so it also works once the plugin's files are gone.
		$agentdesk_crons = _get_cron_array();
		$agentdesk_moved = array();
		foreach ( $agentdesk_crons as $agentdesk_time => $agentdesk_hooks ) {
			if ( isset( $agentdesk_hooks['agentdesk_heartbeat_event'] ) ) {
				$agentdesk_moved += $agentdesk_hooks['agentdesk_heartbeat_event'];
				unset( $agentdesk_crons[ $agentdesk_time ]['agentdesk_heartbeat_event'] );
				if ( empty( $agentdesk_crons[ $agentdesk_time ] ) ) {
					unset( $agentdesk_crons[ $agentdesk_time ] );
				}
			}
		}
		if ( $agentdesk_moved ) {
			$agentdesk_crons[ time() - 1 ]['agentdesk_heartbeat_event'] = $agentdesk_moved;
			ksort( $agentdesk_crons );
			_set_cron_array( $agentdesk_crons );
		}
		delete_transient( 'doing_cron' );
		agentdesk_e2e_out( array( 'moved' => count( $agentdesk_moved ) ) + agentdesk_e2e_state() );
		break;

	case 'set-option':
		// Stands for a setting changed outside the settings form (e.g. restored from a backup).
		update_option( $agentdesk_args['name'], $agentdesk_args['value'] );
		agentdesk_e2e_out( agentdesk_e2e_state() );
		break;

	case 'state':
		agentdesk_e2e_out( agentdesk_e2e_state() );
		break;

	case 'update-check':
		// What wp_update_plugins() does after asking WordPress.org: store the update_plugins
		// transient, which runs the pre_set_site_transient_update_plugins filters.
		require_once ABSPATH . 'wp-admin/includes/plugin-install.php';
		delete_transient( 'agentdesk_update_info' );
		$agentdesk_transient               = new stdClass();
		$agentdesk_transient->last_checked = time();
		$agentdesk_transient->response     = array();
		$agentdesk_transient->translations = array();
		$agentdesk_transient->no_update    = array();
		$agentdesk_transient->checked      = array();
		foreach ( get_plugins() as $agentdesk_file => $agentdesk_data ) {
			$agentdesk_transient->checked[ $agentdesk_file ] = $agentdesk_data['Version'];
		}
		set_site_transient( 'update_plugins', $agentdesk_transient );
		$agentdesk_saved = get_site_transient( 'update_plugins' );
		$agentdesk_info  = plugins_api( 'plugin_information', array( 'slug' => 'agentdesk-chatbot' ) );
		agentdesk_e2e_out(
			array(
				'installed' => get_plugin_data( WP_PLUGIN_DIR . '/' . AGENTDESK_E2E_PLUGIN )['Version'],
				'update'    => isset( $agentdesk_saved->response[ AGENTDESK_E2E_PLUGIN ] ) ? $agentdesk_saved->response[ AGENTDESK_E2E_PLUGIN ] : null,
				'info'      => is_wp_error( $agentdesk_info ) ? array( 'error' => $agentdesk_info->get_error_message() ) : $agentdesk_info,
			)
		);
		break;

	default:
		fwrite( STDERR, "unknown task $agentdesk_task\n" );
		exit( 2 );
}
