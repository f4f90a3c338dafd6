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
	);
	foreach ( $options as $option ) {
		delete_option( $option );
	}
	delete_transient( 'agentdesk_retry_until' );
	delete_transient( 'agentdesk_update_info' );
	wp_clear_scheduled_hook( 'agentdesk_heartbeat_event' );
}

if ( is_multisite() ) {
	foreach ( get_sites( array( 'fields' => 'ids' ) ) as $agentdesk_site_id ) {
		switch_to_blog( $agentdesk_site_id );
		agentdesk_chatbot_uninstall_site();
		restore_current_blog();
	}
} else {
	agentdesk_chatbot_uninstall_site();
}
