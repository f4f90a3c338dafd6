<?php
/**
 * Uninstall: removes every option and transient the plugin stored, and its cron event.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

/**
 * Deletes the plugin's data on the current site.
 */
function agentdesk_chatbot_uninstall_site() {
	$options = array(
		'agentdesk_api_token',
		'agentdesk_api_url',
		'agentdesk_last_heartbeat',
		'agentdesk_heartbeat_result',
		'agentdesk_paused',
		'agentdesk_bot',
		'agentdesk_attention',
		'agentdesk_connected_on',
	);
	// Per-user state: the dismissed paused notice; this site's connect in progress, its result and dismissed notices.
	delete_metadata( 'user', 0, 'agentdesk_dismissed_pause', '', true );
	delete_metadata( 'user', 0, 'agentdesk_connect_state_' . get_current_blog_id(), '', true );
	delete_metadata( 'user', 0, 'agentdesk_connect_result_' . get_current_blog_id(), '', true );
	delete_metadata( 'user', 0, 'agentdesk_dismissed_notices_' . get_current_blog_id(), '', true );
	foreach ( $options as $option ) {
		delete_option( $option );
	}
	delete_transient( 'agentdesk_retry_until' );
	delete_transient( 'agentdesk_update_info' );
	wp_clear_scheduled_hook( 'agentdesk_heartbeat_event' );
}

if ( is_multisite() ) {
	// Every site, a page at a time (get_sites() returns 100 at most by default).
	for ( $agentdesk_offset = 0; ; $agentdesk_offset += 100 ) {
		$agentdesk_sites = get_sites(
			array(
				'fields' => 'ids',
				'number' => 100,
				'offset' => $agentdesk_offset,
			)
		);
		foreach ( $agentdesk_sites as $agentdesk_site_id ) {
			switch_to_blog( $agentdesk_site_id );
			agentdesk_chatbot_uninstall_site();
			restore_current_blog();
		}
		if ( count( $agentdesk_sites ) < 100 ) {
			break;
		}
	}
} else {
	agentdesk_chatbot_uninstall_site();
}
