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

/**
 * On a multisite: whether the plugin is network-active, and each site's state.
 *
 * @return array
 */
function agentdesk_e2e_sites() {
	$sites = array();
	foreach ( get_sites( array( 'number' => 0 ) ) as $site ) {
		switch_to_blog( $site->blog_id );
		$sites[ $site->blog_id ] = agentdesk_e2e_state();
		restore_current_blog();
	}
	return array(
		'network_active' => is_plugin_active_for_network( AGENTDESK_E2E_PLUGIN ),
		'sites'          => $sites,
	);
}

/**
 * What wp_update_plugins() does after asking WordPress.org (unreachable here): stores the
 * update_plugins transient, which runs the pre_set_site_transient_update_plugins filters.
 */
function agentdesk_e2e_update_check() {
	delete_transient( 'agentdesk_update_info' );
	agentdesk_e2e_update_check_cached();
}

/**
 * The same, with whatever update info the plugin has cached.
 */
function agentdesk_e2e_update_check_cached() {
	$transient               = new stdClass();
	$transient->last_checked = time();
	$transient->response     = array();
	$transient->translations = array();
	$transient->no_update    = array();
	$transient->checked      = array();
	foreach ( get_plugins() as $file => $data ) {
		$transient->checked[ $file ] = $data['Version'];
	}
	set_site_transient( 'update_plugins', $transient );
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
		if ( isset( $agentdesk_args['blog_id'] ) ) {
			switch_to_blog( $agentdesk_args['blog_id'] );
		}
		update_option( $agentdesk_args['name'], $agentdesk_args['value'] );
		agentdesk_e2e_out( agentdesk_e2e_state() );
		break;

	case 'install-network':
		global $wpdb;
		// What Tools → Network Setup does: the network tables and settings (wp-config.php's
		// MULTISITE constants are the test's next step).
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		require_once ABSPATH . 'wp-admin/includes/network.php';
		// As wp-admin/network.php does: the network tables' names on $wpdb before creating them.
		foreach ( $wpdb->tables( 'ms_global' ) as $agentdesk_table => $agentdesk_prefixed ) {
			$wpdb->$agentdesk_table = $agentdesk_prefixed;
		}
		install_network();
		$agentdesk_result = populate_network( 1, getenv( 'AGENTDESK_E2E_HOST' ), 'admin@example.test', 'AgentDesk E2E Network', '/', false );
		agentdesk_e2e_out( array( 'error' => is_wp_error( $agentdesk_result ) ? $agentdesk_result->get_error_message() : null ) );
		break;

	case 'create-sites':
		$agentdesk_ids = array();
		foreach ( $agentdesk_args['paths'] as $agentdesk_path ) {
			$agentdesk_id = wp_insert_site(
				array(
					'domain'  => getenv( 'AGENTDESK_E2E_HOST' ),
					'path'    => $agentdesk_path,
					'title'   => 'Site ' . $agentdesk_path,
					'user_id' => 1,
				)
			);
			if ( is_wp_error( $agentdesk_id ) ) {
				fwrite( STDERR, $agentdesk_id->get_error_message() );
				exit( 1 );
			}
			// Multisite drops the colon of a domain with a port ("127.0.0.1:8080" → "127.0.0.18080");
			// this network lives on php -S's port, so the site's domain and addresses are put back.
			global $wpdb;
			$agentdesk_host = getenv( 'AGENTDESK_E2E_HOST' );
			$wpdb->update( $wpdb->blogs, array( 'domain' => $agentdesk_host ), array( 'blog_id' => $agentdesk_id ) );
			clean_blog_cache( $agentdesk_id );
			switch_to_blog( $agentdesk_id );
			update_option( 'home', 'http://' . $agentdesk_host . untrailingslashit( $agentdesk_path ) );
			update_option( 'siteurl', 'http://' . $agentdesk_host . untrailingslashit( $agentdesk_path ) );
			restore_current_blog();
			$agentdesk_ids[] = $agentdesk_id;
		}
		agentdesk_e2e_out( array( 'ids' => $agentdesk_ids ) );
		break;

	case 'php-tests':
		// The plugin's own PHP tests (tests/plugin/php/plugin-tests.php) inside this WordPress, on the system's PHP.
		require dirname( __DIR__ ) . '/plugin/php/plugin-tests.php';
		break;

	case 'api-url-as':
		// What options.php does when a user saves Settings → AgentDesk's API URL on site blog_id:
		// the setting's sanitize callback, as that user; and the field that user sees.
		require_once ABSPATH . 'wp-admin/includes/template.php';
		switch_to_blog( $agentdesk_args['blog_id'] );
		if ( ! empty( $agentdesk_args['create_admin'] ) ) {
			$agentdesk_user = wp_insert_user(
				array(
					'user_login' => $agentdesk_args['login'],
					'user_pass'  => wp_generate_password(),
					'user_email' => $agentdesk_args['login'] . '@example.test',
					'role'       => 'administrator',
				)
			);
		} else {
			$agentdesk_user = get_user_by( 'login', $agentdesk_args['login'] )->ID;
		}
		wp_set_current_user( $agentdesk_user );
		$agentdesk_plugin = agentdesk_chatbot();
		$agentdesk_admin  = new AgentDesk_Admin( $agentdesk_plugin['api'], $agentdesk_plugin['validator'], $agentdesk_plugin['heartbeat'] );
		$agentdesk_admin->register_settings();
		update_option( 'agentdesk_api_url', $agentdesk_args['value'] );
		ob_start();
		$agentdesk_admin->render_api_url_field();
		$agentdesk_field = ob_get_clean();
		agentdesk_e2e_out(
			array(
				'can_manage'  => current_user_can( 'manage_options' ),
				'super_admin' => is_super_admin(),
				'saved'       => get_option( 'agentdesk_api_url' ),
				'errors'      => wp_list_pluck( get_settings_errors( 'agentdesk_api_url' ), 'message' ),
				'field'       => $agentdesk_field,
			)
		);
		break;

	case 'network-activate':
		$agentdesk_result = activate_plugin( AGENTDESK_E2E_PLUGIN, '', true );
		agentdesk_e2e_out( array( 'error' => is_wp_error( $agentdesk_result ) ? $agentdesk_result->get_error_message() : null ) + agentdesk_e2e_sites() );
		break;

	case 'network-deactivate':
		deactivate_plugins( AGENTDESK_E2E_PLUGIN, false, true );
		agentdesk_e2e_out( agentdesk_e2e_sites() );
		break;

	case 'network-uninstall':
		uninstall_plugin( AGENTDESK_E2E_PLUGIN );
		agentdesk_e2e_out( agentdesk_e2e_sites() );
		break;

	case 'state':
		agentdesk_e2e_out( agentdesk_e2e_state() );
		break;

	case 'connect-flow':
		// What the administrator's browser does on one site of the network: the Connect button
		// (step "start") or the way back from the service (step "return", with its query). The
		// redirect each ends with is caught and returned instead of sent.
		switch_to_blog( $agentdesk_args['blog_id'] );
		wp_set_current_user( 1 );
		$agentdesk_plugin   = agentdesk_chatbot();
		$agentdesk_connect  = new AgentDesk_Connect( $agentdesk_plugin['api'], $agentdesk_plugin['validator'], $agentdesk_plugin['heartbeat'] );
		$agentdesk_location = null;
		add_filter(
			'wp_redirect',
			function ( $location ) use ( &$agentdesk_location ) {
				$agentdesk_location = $location;
				throw new RuntimeException( 'redirected' );
			},
			1000
		);
		try {
			if ( 'start' === $agentdesk_args['step'] ) {
				$_REQUEST['_wpnonce'] = wp_create_nonce( AgentDesk_Connect::START_ACTION );
				$agentdesk_connect->handle_start();
			} else {
				$_GET = $agentdesk_args['query'];
				$agentdesk_connect->handle_return();
			}
		} catch ( RuntimeException $agentdesk_redirected ) {
			// The handler's redirect: its location is the result.
		}
		agentdesk_e2e_out(
			array(
				'location' => $agentdesk_location,
				'result'   => get_user_meta( 1, AgentDesk_Connect::RESULT_META . get_current_blog_id(), true ),
			) + agentdesk_e2e_state()
		);
		break;

	case 'network-state':
		agentdesk_e2e_out( agentdesk_e2e_sites() );
		break;

	case 'update-check':
		// What wp_update_plugins() does after asking WordPress.org: store the update_plugins
		// transient, which runs the pre_set_site_transient_update_plugins filters.
		require_once ABSPATH . 'wp-admin/includes/plugin-install.php';
		agentdesk_e2e_update_check();
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

	case 'site-health':
		// What Tools → Site Health runs: the registered direct tests and the debug sections.
		$agentdesk_tests = apply_filters( 'site_status_tests', array( 'direct' => array(), 'async' => array() ) );
		$agentdesk_info  = apply_filters( 'debug_information', array() );
		agentdesk_e2e_out(
			array(
				'test'  => isset( $agentdesk_tests['direct']['agentdesk_connection'] ) ? call_user_func( $agentdesk_tests['direct']['agentdesk_connection']['test'] ) : null,
				'attention' => isset( $agentdesk_tests['direct']['agentdesk_attention'] ) ? call_user_func( $agentdesk_tests['direct']['agentdesk_attention']['test'] ) : null,
				'debug' => isset( $agentdesk_info['agentdesk-chatbot'] ) ? $agentdesk_info['agentdesk-chatbot'] : null,
			)
		);
		break;

	case 'safe-urls':
		// The check wp_safe_remote_get makes before it connects.
		agentdesk_e2e_out( array( 'valid' => array_map( function ( $url ) { return false !== wp_http_validate_url( $url ); }, $agentdesk_args['urls'] ) ) );
		break;

	case 'package-policy':
		// The updater's answer for an announced package while the API URL is $args['api_url']: the
		// update it offers, and what its download step says about that package.
		update_option( 'agentdesk_api_url', $agentdesk_args['api_url'] );
		$agentdesk_info = array(
			'version'      => '99.0.0',
			'name'         => 'AgentDesk Chatbot',
			'requires'     => '6.1',
			'tested'       => '6.1',
			'requires_php' => '7.4',
			'homepage'     => '',
			'download_url' => $agentdesk_args['download_url'],
			'changelog'    => '',
			'description'  => '',
			'sha256'       => str_repeat( 'a', 64 ),
			'signature'    => base64_encode( str_repeat( 'a', 64 ) ),
		);
		set_transient( 'agentdesk_update_info', $agentdesk_info, HOUR_IN_SECONDS );
		agentdesk_e2e_update_check_cached();
		$agentdesk_saved    = get_site_transient( 'update_plugins' );
		$agentdesk_download = apply_filters( 'upgrader_pre_download', false, $agentdesk_args['download_url'], null, array() );
		delete_transient( 'agentdesk_update_info' );
		agentdesk_e2e_out(
			array(
				'package'  => isset( $agentdesk_saved->response[ AGENTDESK_E2E_PLUGIN ] ) ? $agentdesk_saved->response[ AGENTDESK_E2E_PLUGIN ]->package : null,
				'download' => is_wp_error( $agentdesk_download ) ? $agentdesk_download->get_error_code() : $agentdesk_download,
			)
		);
		break;

	case 'make-overdue':
		// Stands for WP-Cron not running: the scheduled event's time lies $args['seconds'] in the past.
		wp_clear_scheduled_hook( 'agentdesk_heartbeat_event' );
		wp_schedule_event( time() - $agentdesk_args['seconds'], 'agentdesk_five_minutes', 'agentdesk_heartbeat_event' );
		agentdesk_e2e_out( agentdesk_e2e_state() );
		break;

	case 'upgrade':
		// What Dashboard → Updates → "Update now" does: the update check, then Plugin_Upgrader.
		require_once ABSPATH . 'wp-admin/includes/class-wp-upgrader.php';
		require_once ABSPATH . 'wp-admin/includes/file.php';
		require_once ABSPATH . 'wp-admin/includes/misc.php';
		agentdesk_e2e_update_check();
		if ( 'zip' === $agentdesk_args['tamper'] ) {
			// Someone who controls the update answer and the zip, but not the service's signing key:
			// a changed zip, announced with its own (matching) SHA-256 and the genuine signature.
			$agentdesk_cached           = get_transient( 'agentdesk_update_info' );
			$agentdesk_genuine          = wp_remote_retrieve_body( wp_remote_get( $agentdesk_cached['download_url'] ) );
			$agentdesk_cached['sha256'] = hash( 'sha256', $agentdesk_genuine . 'tampered' );
			set_transient( 'agentdesk_update_info', $agentdesk_cached, HOUR_IN_SECONDS );
			add_filter(
				'http_response',
				function ( $response, $args ) {
					if ( ! empty( $args['filename'] ) ) {
						file_put_contents( $args['filename'], 'tampered', FILE_APPEND );
					}
					return $response;
				},
				10,
				2
			);
		} elseif ( ! empty( $agentdesk_args['tamper'] ) ) {
			// A package that is not the one the service published.
			$agentdesk_cached           = get_transient( 'agentdesk_update_info' );
			$agentdesk_cached['sha256'] = str_repeat( '0', 64 );
			set_transient( 'agentdesk_update_info', $agentdesk_cached, HOUR_IN_SECONDS );
		}
		$agentdesk_skin     = new Automatic_Upgrader_Skin();
		$agentdesk_upgrader = new Plugin_Upgrader( $agentdesk_skin );
		$agentdesk_result   = $agentdesk_upgrader->upgrade( AGENTDESK_E2E_PLUGIN );
		wp_clean_plugins_cache();
		if ( ! is_plugin_active( AGENTDESK_E2E_PLUGIN ) ) {
			// The upgrader deactivates silently; the Updates screen reactivates, as this does.
			activate_plugin( AGENTDESK_E2E_PLUGIN, '', false, true );
		}
		agentdesk_e2e_out(
			array(
				'result'    => true === $agentdesk_result,
				'messages'  => $agentdesk_skin->get_upgrade_messages(),
				'installed' => get_plugin_data( WP_PLUGIN_DIR . '/' . AGENTDESK_E2E_PLUGIN, false, false )['Version'],
			) + agentdesk_e2e_state()
		);
		break;

	default:
		fwrite( STDERR, "unknown task $agentdesk_task\n" );
		exit( 2 );
}
