<?php
/**
 * A small stand-in for the `wp` binary (WP-CLI is not packaged here): loads WordPress with
 * WP_CLI defined, as WP-CLI does, collects the commands plugins register with WP_CLI::add_command,
 * and runs `wp agentdesk <subcommand> [args…] [--name=value…]`.
 *
 * Usage: php wp-cli-runner.php <wordpress-root> <subcommand> [args…]
 * Prints what the command prints; exits 0 on success, 1 on WP_CLI::error(), 2 on an unknown command.
 *
 * @package AgentDesk_Chatbot
 */

define( 'WP_CLI', true );

/**
 * The part of WP-CLI's API the plugin uses, with WP-CLI's output conventions.
 */
class WP_CLI {
	/**
	 * Registered commands by name.
	 *
	 * @var array
	 */
	public static $commands = array();

	public static function add_command( $name, $callable ) {
		self::$commands[ $name ] = $callable;
	}

	public static function line( $message = '' ) {
		echo $message, "\n";
	}

	public static function log( $message ) {
		echo $message, "\n";
	}

	public static function success( $message ) {
		echo 'Success: ', $message, "\n";
	}

	public static function warning( $message ) {
		echo 'Warning: ', $message, "\n";
	}

	public static function error( $message ) {
		// WP-CLI prints to STDERR and exits 1.
		fwrite( STDERR, 'Error: ' . $message . "\n" );
		exit( 1 );
	}
}

$agentdesk_root = rtrim( $argv[1], '/' );
$_SERVER['HTTP_HOST']      = '127.0.0.1';
$_SERVER['SERVER_NAME']    = '127.0.0.1';
$_SERVER['REQUEST_URI']    = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
require $agentdesk_root . '/wp-load.php';

$agentdesk_subcommand = isset( $argv[2] ) ? $argv[2] : '';
$agentdesk_command    = isset( WP_CLI::$commands['agentdesk'] ) ? WP_CLI::$commands['agentdesk'] : null;
if ( null === $agentdesk_command || ! method_exists( $agentdesk_command, $agentdesk_subcommand ) || '__construct' === $agentdesk_subcommand ) {
	fwrite( STDERR, "Error: '$agentdesk_subcommand' is not a registered subcommand of 'agentdesk'.\n" );
	exit( 2 );
}
// As WP-CLI does: `--name=value` (and `--flag`) are named arguments, the rest positional.
$agentdesk_args  = array();
$agentdesk_assoc = array();
foreach ( array_slice( $argv, 3 ) as $agentdesk_arg ) {
	if ( preg_match( '/^--([^=]+)(?:=(.*))?$/s', $agentdesk_arg, $agentdesk_match ) ) {
		$agentdesk_assoc[ $agentdesk_match[1] ] = isset( $agentdesk_match[2] ) ? $agentdesk_match[2] : true;
	} else {
		$agentdesk_args[] = $agentdesk_arg;
	}
}
$agentdesk_command->$agentdesk_subcommand( $agentdesk_args, $agentdesk_assoc );
exit( 0 );
