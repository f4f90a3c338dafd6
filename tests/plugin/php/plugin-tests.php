<?php
/**
 * The plugin's own PHP tests, run inside a loaded WordPress with the direct build active
 * (tests/wordpress/php-versions.e2e.ts runs them on PHP 7.4 and 8.4 with WordPress and SQLite).
 *
 * Reads its fixture (a genuine zip, its signature, the public key it was built with) from the JSON
 * file named by AGENTDESK_TEST_FIXTURE and prints "@@RESULT@@ {passed, failed, failures}".
 * Requests are answered by a pre_http_request recorder: php-wasm has no network, and what is
 * checked is what the plugin asks for and what it does with an answer.
 *
 * @package AgentDesk_Chatbot
 */

// What options.php has loaded when the settings' sanitize callbacks run.
require_once ABSPATH . 'wp-admin/includes/template.php';

$agentdesk_fixture  = json_decode( (string) file_get_contents( getenv( 'AGENTDESK_TEST_FIXTURE' ) ), true );
$agentdesk_results  = array(
	'passed'   => 0,
	'failed'   => 0,
	'failures' => array(),
);
$agentdesk_requests = array();

/**
 * Records one check.
 *
 * @param string $name  What is asserted.
 * @param bool   $ok    Whether it holds.
 * @param mixed  $found What was found, shown when it does not.
 */
function agentdesk_check( $name, $ok, $found = null ) {
	global $agentdesk_results;
	if ( $ok ) {
		++$agentdesk_results['passed'];
		return;
	}
	++$agentdesk_results['failed'];
	$agentdesk_results['failures'][] = $name . ': ' . wp_json_encode( $found );
}

/**
 * Answers every request with $answer (an array as wp_remote_* returns, or a callable building one)
 * and records what was asked.
 *
 * @param array|callable $answer The answer.
 */
function agentdesk_answer_with( $answer ) {
	remove_all_filters( 'pre_http_request' );
	add_filter(
		'pre_http_request',
		function ( $pre, $args, $url ) use ( $answer ) {
			global $agentdesk_requests;
			$agentdesk_requests[] = array(
				'url'  => $url,
				'args' => $args,
			);
			return is_callable( $answer ) ? call_user_func( $answer, $args, $url ) : $answer;
		},
		10,
		3
	);
}

/**
 * A JSON answer.
 *
 * @param int   $code The status.
 * @param mixed $body The JSON.
 * @return array
 */
function agentdesk_json( $code, $body ) {
	return array(
		'headers'  => array(),
		'body'     => wp_json_encode( $body ),
		'response' => array(
			'code'    => $code,
			'message' => '',
		),
		'cookies'  => array(),
		'filename' => null,
	);
}

// The site's own settings, put back at the end (the tests also run inside the end-to-end site).
$agentdesk_saved_options = array(
	'agentdesk_api_url'   => get_option( 'agentdesk_api_url', '' ),
	'agentdesk_api_token' => get_option( 'agentdesk_api_token', '' ),
);

$agentdesk_plugin = agentdesk_chatbot();
$agentdesk_api    = $agentdesk_plugin['api'];

// The address rule of a saved API URL.
$agentdesk_private = array( '127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fc00::1', 'fe80::1', '::ffff:127.0.0.1', 'ff02::1' );
foreach ( $agentdesk_private as $agentdesk_address ) {
	agentdesk_check( "$agentdesk_address is not public", AgentDesk_API::is_private_address( $agentdesk_address ) );
}
foreach ( array( '93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8' ) as $agentdesk_address ) {
	agentdesk_check( "$agentdesk_address is public", ! AgentDesk_API::is_private_address( $agentdesk_address ) );
}
foreach ( array( 'http://127.0.0.1:3000/api', 'http://[::1]/api', 'http://localhost/api', 'http://desk.localhost/api', 'http://intranet/api', 'http://10.0.0.5/api', 'ftp://93.184.216.34/api', 'https://93.184.216.34/' . str_repeat( 'a', 2100 ) ) as $agentdesk_url ) {
	agentdesk_check( "$agentdesk_url is refused as a saved API URL", '' !== AgentDesk_API::url_refusal( $agentdesk_url ) );
}
agentdesk_check( 'a public address is accepted', '' === AgentDesk_API::url_refusal( 'https://93.184.216.34/api' ) );

// A saved private URL is never called (no AGENTDESK_ALLOW_PRIVATE_API here), and the settings keep the previous one.
agentdesk_answer_with( agentdesk_json( 200, array( 'ok' => true ) ) );
update_option( 'agentdesk_api_url', 'http://127.0.0.1:9/api' );
$agentdesk_answer = $agentdesk_api->post( '/bots/wordpress-heartbeat', 'bot_' . str_repeat( 'x', 43 ), array() );
agentdesk_check( 'a saved loopback API URL is refused without a request', 'url_refused' === $agentdesk_answer['result'] && array() === $agentdesk_requests, array( $agentdesk_answer, $agentdesk_requests ) );
agentdesk_check( 'the refusal says what to do', false !== strpos( AgentDesk_API::explain( $agentdesk_answer ), 'AGENTDESK_ALLOW_PRIVATE_API' ), AgentDesk_API::explain( $agentdesk_answer ) );
delete_option( 'agentdesk_api_url' );
wp_set_current_user( 1 );
$agentdesk_admin = new AgentDesk_Admin( $agentdesk_api, $agentdesk_plugin['validator'], $agentdesk_plugin['heartbeat'] );
agentdesk_check( 'an administrator of a single site may change the API URL', AgentDesk_Admin::may_change_api_url() );
agentdesk_check( 'a private API URL is not saved', '' === $agentdesk_admin->sanitize_api_url( 'http://192.168.0.10/api' ) );
agentdesk_check( 'a public one is', 'https://93.184.216.34/api' === $agentdesk_admin->sanitize_api_url( 'https://93.184.216.34/api/' ) );
agentdesk_check( 'the default is saved as empty (follow the build)', '' === $agentdesk_admin->sanitize_api_url( AGENTDESK_API_URL ) );

// Every read is bounded, and long text is neither stored nor shown whole.
$agentdesk_requests = array();
agentdesk_answer_with( agentdesk_json( 422, array( 'message' => str_repeat( 'A long message. ', 1000 ) ) ) );
$agentdesk_answer = $agentdesk_api->post( '/bots/wordpress-heartbeat', 'bot_' . str_repeat( 'x', 43 ), array() );
$agentdesk_args   = $agentdesk_requests[0]['args'];
agentdesk_check( 'a call reads at most MAX_RESPONSE_BYTES', AgentDesk_API::MAX_RESPONSE_BYTES === $agentdesk_args['limit_response_size'], $agentdesk_args['limit_response_size'] );
agentdesk_check( 'and follows no redirect', 0 === $agentdesk_args['redirection'] );
agentdesk_check( 'a long message is cut to MAX_DETAIL_LENGTH characters', mb_strlen( $agentdesk_answer['detail'] ) <= AgentDesk_API::MAX_DETAIL_LENGTH, mb_strlen( $agentdesk_answer['detail'] ) );
agentdesk_check( 'and explained cut', mb_strlen( AgentDesk_API::explain( $agentdesk_answer ) ) < 400 );
agentdesk_check( 'clip keeps short text as it is', 'héllo' === AgentDesk_API::clip( 'héllo' ) );
$agentdesk_requests = array();
$agentdesk_api->get( '/wordpress/plugin/info' );
agentdesk_check( 'a GET is bounded too', AgentDesk_API::MAX_RESPONSE_BYTES === $agentdesk_requests[0]['args']['limit_response_size'] );
$agentdesk_clean = AgentDesk_Updater::clean(
	array(
		'version'      => '9.9.9',
		'name'         => str_repeat( 'n', 5000 ),
		'changelog'    => str_repeat( 'c', 100000 ),
		'download_url' => 'https://x.test/' . str_repeat( 'p', 5000 ),
		'signature'    => 'not base64!',
	)
);
agentdesk_check( 'the cached update info is bounded field by field', mb_strlen( $agentdesk_clean['name'] ) <= 200 && mb_strlen( $agentdesk_clean['changelog'] ) <= 20000 && '' === $agentdesk_clean['download_url'] && '' === $agentdesk_clean['signature'], array_map( 'strlen', $agentdesk_clean ) );

// Signed updates: the signature of the genuine zip verifies under the key this copy carries (with
// PHP's sodium or WordPress's sodium_compat, whichever this PHP has), a changed zip does not.
$agentdesk_zip = base64_decode( $agentdesk_fixture['zip'] ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
agentdesk_check( 'the build carries the public key it was given', $agentdesk_fixture['public_key'] === AgentDesk_Updater::PUBLIC_KEY, AgentDesk_Updater::PUBLIC_KEY );
agentdesk_check( 'the genuine zip\'s signature verifies', AgentDesk_Updater::signature_valid( $agentdesk_zip, $agentdesk_fixture['signature'], AgentDesk_Updater::PUBLIC_KEY ) );
agentdesk_check( 'a changed zip does not', ! AgentDesk_Updater::signature_valid( $agentdesk_zip . 'x', $agentdesk_fixture['signature'], AgentDesk_Updater::PUBLIC_KEY ) );
agentdesk_check( 'another key does not', ! AgentDesk_Updater::signature_valid( $agentdesk_zip, $agentdesk_fixture['signature'], base64_encode( str_repeat( "\1", 32 ) ) ) );
agentdesk_check( 'a malformed signature does not', ! AgentDesk_Updater::signature_valid( $agentdesk_zip, 'AAAA', AgentDesk_Updater::PUBLIC_KEY ) );

// The whole download step: the service's zip is installed, a tampered one (with a matching SHA-256) or one from elsewhere is not.
update_option( 'agentdesk_api_token', 'bot_' . str_repeat( 'x', 43 ) );
$agentdesk_updater = new AgentDesk_Updater( $agentdesk_api );
$agentdesk_package = AGENTDESK_API_URL . '/wordpress/plugin/download';
$agentdesk_offer   = function ( $zip, $download_url ) use ( $agentdesk_fixture, $agentdesk_updater, $agentdesk_package ) {
	set_transient(
		AgentDesk_Updater::CACHE,
		array(
			'version'      => '99.0.0',
			'download_url' => $download_url,
			'sha256'       => hash( 'sha256', $zip ),
			'signature'    => $agentdesk_fixture['signature'],
		),
		HOUR_IN_SECONDS
	);
	agentdesk_answer_with(
		function ( $args ) use ( $zip ) {
			// As WordPress's streaming download: the body goes to the file the caller named.
			file_put_contents( $args['filename'], $zip );
			return agentdesk_json( 200, null );
		}
	);
	return $agentdesk_updater->download_package( false, $download_url, null );
};
$agentdesk_file = $agentdesk_offer( $agentdesk_zip, $agentdesk_package );
agentdesk_check( 'the genuine package is handed to WordPress', is_string( $agentdesk_file ) && file_get_contents( $agentdesk_file ) === $agentdesk_zip, is_wp_error( $agentdesk_file ) ? $agentdesk_file->get_error_message() : $agentdesk_file );
agentdesk_check( 'downloaded with a size bound', AgentDesk_Updater::MAX_PACKAGE_BYTES === $agentdesk_requests[ count( $agentdesk_requests ) - 1 ]['args']['limit_response_size'] );
$agentdesk_refused = $agentdesk_offer( $agentdesk_zip . 'tampered', $agentdesk_package );
agentdesk_check( 'a tampered package is refused by its signature', is_wp_error( $agentdesk_refused ) && 'agentdesk_bad_signature' === $agentdesk_refused->get_error_code(), $agentdesk_refused );
agentdesk_check( 'with a clear message', is_wp_error( $agentdesk_refused ) && false !== strpos( $agentdesk_refused->get_error_message(), 'not signed by the AgentDesk service' ) );
$agentdesk_foreign = $agentdesk_offer( $agentdesk_zip, 'https://elsewhere.agentdesk.test/agentdesk-chatbot.zip' );
agentdesk_check( 'a package on another origin is refused', is_wp_error( $agentdesk_foreign ) && 'agentdesk_foreign_package' === $agentdesk_foreign->get_error_code(), $agentdesk_foreign );
delete_transient( AgentDesk_Updater::CACHE );
foreach ( $agentdesk_saved_options as $agentdesk_name => $agentdesk_value ) {
	update_option( $agentdesk_name, $agentdesk_value );
}

echo "\n@@RESULT@@ " . wp_json_encode( $agentdesk_results + array( 'php' => PHP_VERSION, 'wp' => get_bloginfo( 'version' ) ) ) . "\n";
