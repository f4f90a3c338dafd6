<?php
/**
 * Plugin updates from the AgentDesk service instead of WordPress.org.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Hooks WordPress's update check and "View details" dialog to GET /api/wordpress/plugin/info.
 * The service builds that answer from this plugin's own header and readme.txt, and serves the
 * zip it announces.
 */
class AgentDesk_Updater {

	/** The plugin's slug (its folder). */
	const SLUG = 'agentdesk-chatbot';

	/** Transient caching the service's answer. */
	const CACHE = 'agentdesk_update_info';

	/**
	 * The service's Ed25519 public key (base64), written here by the service's build of this copy:
	 * every update must carry the service's signature under it (download_package()).
	 */
	const PUBLIC_KEY = '';

	/** Most bytes of a package downloaded; a larger answer is cut off (and then fails verification). */
	const MAX_PACKAGE_BYTES = 16777216;

	/**
	 * The API client.
	 *
	 * @var AgentDesk_API
	 */
	private $api;

	/**
	 * Builds the updater.
	 *
	 * @param AgentDesk_API $api The API client.
	 */
	public function __construct( AgentDesk_API $api ) {
		$this->api = $api;
	}

	/**
	 * Hooks the update filters.
	 */
	public function register() {
		add_filter( 'pre_set_site_transient_update_plugins', array( $this, 'check_update' ) );
		add_filter( 'plugins_api', array( $this, 'plugin_information' ), 10, 3 );
		add_filter( 'upgrader_pre_download', array( $this, 'download_package' ), 10, 3 );
		add_filter( 'http_request_host_is_external', array( $this, 'allow_service_host' ), 10, 3 );
		add_filter( 'http_allowed_safe_ports', array( $this, 'allow_service_port' ), 10, 3 );
	}

	/**
	 * The http_request_host_is_external filter. WordPress downloads packages with
	 * wp_safe_remote_get, which refuses private addresses; a self-hosted AgentDesk often has one.
	 * Exactly the configured service's host is let through, and only for URLs under its API URL
	 * (so pingbacks and other safe requests to that host are still refused).
	 *
	 * @param bool   $external Whether the host is allowed so far.
	 * @param string $host     The host of the request.
	 * @param string $url      The URL of the request.
	 * @return bool
	 */
	public function allow_service_host( $external, $host, $url = '' ) {
		return $external || $this->is_service_url( $host, $url );
	}

	/**
	 * The http_allowed_safe_ports filter: the service's own port, for the service's URLs only
	 * (wp_safe_remote_get allows 80, 443 and 8080 otherwise).
	 *
	 * @param int[]  $ports The allowed ports.
	 * @param string $host  The host of the request.
	 * @param string $url   The URL of the request.
	 * @return int[]
	 */
	public function allow_service_port( $ports, $host, $url = '' ) {
		if ( is_array( $ports ) && $this->is_service_url( $host, $url ) ) {
			$ports[] = $this->api->service_port();
		}
		return $ports;
	}

	/**
	 * Whether a request goes to the configured service: its host, under its API URL.
	 *
	 * @param string $host The host of the request.
	 * @param string $url  The URL of the request.
	 * @return bool
	 */
	private function is_service_url( $host, $url ) {
		$service = $this->api->service_host();
		$base    = $this->api->base_url();
		// A URL saved on the settings page is let through only when it passes the public-address rule.
		if ( $this->api->url_is_saved() && '' !== AgentDesk_API::url_refusal( $base ) ) {
			return false;
		}
		return '' !== $service && strtolower( (string) $host ) === $service && 0 === strpos( (string) $url, $base . '/' );
	}

	/**
	 * The upgrader_pre_download filter: downloads this plugin's package itself and hands it to
	 * WordPress only if it comes from the service's own origin, its SHA-256 is the one the service
	 * published, and it carries the service's Ed25519 signature under the public key this copy was
	 * built with (PUBLIC_KEY; checked with sodium_crypto_sign_verify_detached, which WordPress's
	 * sodium_compat provides where PHP's sodium extension is missing). Other packages are left to
	 * WordPress.
	 *
	 * @param bool|string|WP_Error $reply    False to let WordPress download.
	 * @param string               $package  The package URL.
	 * @param object               $upgrader The upgrader.
	 * @return bool|string|WP_Error A downloaded file's path, or an error.
	 */
	public function download_package( $reply, $package, $upgrader ) {
		if ( false !== $reply || ! is_string( $package ) ) {
			return $reply;
		}
		$info = $this->latest();
		if ( null === $info || ( $package !== $this->package_url( $info ) && $package !== $info['download_url'] ) ) {
			return $reply;
		}
		if ( ! $this->same_origin( $package ) ) {
			return new WP_Error( 'agentdesk_foreign_package', __( 'The AgentDesk update was refused: its download address is not on the AgentDesk service this plugin talks to.', 'agentdesk-chatbot' ) );
		}
		if ( ! $this->package_scheme_allowed( $package ) ) {
			return new WP_Error( 'agentdesk_insecure_package', __( 'The AgentDesk update was refused: its download address is not https while the API URL is.', 'agentdesk-chatbot' ) );
		}
		if ( '' === $info['sha256'] ) {
			return new WP_Error( 'agentdesk_no_checksum', __( 'The AgentDesk update was refused: the service published no checksum for it.', 'agentdesk-chatbot' ) );
		}
		if ( '' === self::PUBLIC_KEY || '' === $info['signature'] ) {
			return new WP_Error( 'agentdesk_unsigned', __( 'The AgentDesk update was refused: it is not signed, or this copy of the plugin carries no key to check a signature. Download the plugin again from your AgentDesk service.', 'agentdesk-chatbot' ) );
		}
		if ( is_object( $upgrader ) && isset( $upgrader->skin ) && is_object( $upgrader->skin ) && method_exists( $upgrader->skin, 'feedback' ) ) {
			$upgrader->skin->feedback( 'downloading_package', $package );
		}
		$file = $this->download( $package );
		if ( is_wp_error( $file ) ) {
			return $file;
		}
		if ( ! hash_equals( $info['sha256'], (string) hash_file( 'sha256', $file ) ) ) {
			wp_delete_file( $file );
			return new WP_Error( 'agentdesk_checksum_mismatch', __( 'The AgentDesk update was refused: the downloaded file does not match the checksum the service published.', 'agentdesk-chatbot' ) );
		}
		if ( ! self::signature_valid( (string) file_get_contents( $file ), $info['signature'], self::PUBLIC_KEY ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local temporary file.
			wp_delete_file( $file );
			return new WP_Error( 'agentdesk_bad_signature', __( 'The AgentDesk update was refused: the downloaded file is not signed by the AgentDesk service this plugin came from (it may have been tampered with). The installed version was kept.', 'agentdesk-chatbot' ) );
		}
		return $file;
	}

	/**
	 * Whether $signature (base64) is an Ed25519 signature of $data under $public_key (base64).
	 *
	 * @param string $data       The signed bytes.
	 * @param string $signature  The detached signature, base64.
	 * @param string $public_key The public key, base64.
	 * @return bool
	 */
	public static function signature_valid( $data, $signature, $public_key ) {
		// phpcs:disable WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- the signature and key travel as base64.
		$signature  = base64_decode( $signature, true );
		$public_key = base64_decode( $public_key, true );
		// phpcs:enable
		if ( ! is_string( $signature ) || ! is_string( $public_key ) || 64 !== strlen( $signature ) || 32 !== strlen( $public_key ) || ! function_exists( 'sodium_crypto_sign_verify_detached' ) ) {
			return false;
		}
		try {
			return sodium_crypto_sign_verify_detached( $signature, $data, $public_key );
		} catch ( Exception $e ) {
			return false;
		}
	}

	/**
	 * Downloads a package to a temporary file with wp_safe_remote_get, at most MAX_PACKAGE_BYTES.
	 *
	 * @param string $package The package URL.
	 * @return string|WP_Error The file's path.
	 */
	private function download( $package ) {
		if ( ! function_exists( 'wp_tempnam' ) ) {
			// Loaded in wp-admin; a caller of the upgrader elsewhere (cron, WP-CLI) may not have it yet.
			require_once ABSPATH . 'wp-admin/includes/file.php';
		}
		$file     = wp_tempnam( 'agentdesk-chatbot.zip' );
		$response = wp_safe_remote_get(
			$package,
			array(
				'timeout'             => 60,
				'redirection'         => 0,
				'stream'              => true,
				'filename'            => $file,
				'limit_response_size' => self::MAX_PACKAGE_BYTES,
				'user-agent'          => 'AgentDesk-Chatbot/' . AGENTDESK_VERSION,
			)
		);
		if ( is_wp_error( $response ) || 200 !== (int) wp_remote_retrieve_response_code( $response ) ) {
			wp_delete_file( $file );
			return new WP_Error(
				'agentdesk_download_failed',
				sprintf(
					/* translators: %s: the error or HTTP status. */
					__( 'The AgentDesk update could not be downloaded (%s).', 'agentdesk-chatbot' ),
					is_wp_error( $response ) ? AgentDesk_API::clip( $response->get_error_message() ) : 'HTTP ' . (int) wp_remote_retrieve_response_code( $response )
				)
			);
		}
		return $file;
	}

	/**
	 * Whether a URL is on the service's own origin (scheme aside: package_scheme_allowed() rules
	 * on that): the API URL's host and port.
	 *
	 * @param string $url The URL.
	 * @return bool
	 */
	private function same_origin( $url ) {
		$host = wp_parse_url( $url, PHP_URL_HOST );
		$port = wp_parse_url( $url, PHP_URL_PORT );
		if ( ! is_string( $host ) || strtolower( $host ) !== $this->api->service_host() ) {
			return false;
		}
		$port = $port ? (int) $port : ( 'http' === wp_parse_url( $url, PHP_URL_SCHEME ) ? 80 : 443 );
		return $port === $this->api->service_port() || ( 'http' === wp_parse_url( $url, PHP_URL_SCHEME ) && 'https' === wp_parse_url( $this->api->base_url(), PHP_URL_SCHEME ) );
	}

	/**
	 * An http:// package only when the API URL itself is http:// (a test or intranet service);
	 * a site talking https to its service never installs code fetched in the clear.
	 *
	 * @param string $package The package URL.
	 * @return bool
	 */
	private function package_scheme_allowed( $package ) {
		$scheme = wp_parse_url( $package, PHP_URL_SCHEME );
		return 'https' === $scheme || ( 'http' === $scheme && 'http' === wp_parse_url( $this->api->base_url(), PHP_URL_SCHEME ) );
	}

	/**
	 * The latest release the service announces, cached for six hours (a failed check for
	 * fifteen minutes, so an unreachable service is not asked on every admin page).
	 *
	 * @return array|null
	 */
	public function latest() {
		if ( '' === $this->api->token() ) {
			// Nothing is asked of the service before an admin saved a token.
			return null;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- read-only: "Check again" on Dashboard → Updates.
		$force  = isset( $_GET['force-check'] );
		$cached = get_transient( self::CACHE );
		if ( ! $force && is_array( $cached ) ) {
			return empty( $cached['version'] ) ? null : $cached;
		}
		$answer = $this->api->get( '/wordpress/plugin/info' );
		$info   = 'ok' === $answer['result'] ? self::clean( $answer['data'] ) : null;
		set_transient( self::CACHE, null === $info ? array( 'failed' => time() ) : $info, null === $info ? 15 * MINUTE_IN_SECONDS : 6 * HOUR_IN_SECONDS );
		return $info;
	}

	/**
	 * Keeps only well-formed fields of the service's answer.
	 *
	 * @param array $data The decoded JSON.
	 * @return array|null
	 */
	public static function clean( $data ) {
		$version = isset( $data['version'] ) ? (string) $data['version'] : '';
		if ( ! preg_match( '/^[0-9A-Za-z.+\-]{1,32}$/', $version ) ) {
			return null;
		}
		// Every field is cut to a length before it is stored (the answer is cached in a transient).
		$text = function ( $key, $max = 200 ) use ( $data ) {
			return isset( $data[ $key ] ) && is_scalar( $data[ $key ] ) ? AgentDesk_API::clip( sanitize_text_field( (string) $data[ $key ] ), $max ) : '';
		};
		$url  = function ( $key ) use ( $data ) {
			return isset( $data[ $key ] ) && is_string( $data[ $key ] ) && strlen( $data[ $key ] ) <= AgentDesk_API::MAX_URL_LENGTH ? esc_url_raw( $data[ $key ], array( 'http', 'https' ) ) : '';
		};
		return array(
			'version'      => $version,
			'name'         => $text( 'name' ),
			'requires'     => $text( 'requires', 32 ),
			'tested'       => $text( 'tested', 32 ),
			'requires_php' => $text( 'requires_php', 32 ),
			'homepage'     => $url( 'homepage' ),
			'download_url' => $url( 'download_url' ),
			'changelog'    => isset( $data['changelog'] ) && is_string( $data['changelog'] ) ? AgentDesk_API::clip( $data['changelog'], 20000 ) : '',
			'description'  => $text( 'description', 2000 ),
			'sha256'       => isset( $data['sha256'] ) && is_string( $data['sha256'] ) && preg_match( '/^[0-9a-f]{64}$/', $data['sha256'] ) ? $data['sha256'] : '',
			'signature'    => isset( $data['signature'] ) && is_string( $data['signature'] ) && preg_match( '#^[A-Za-z0-9+/]{86}==$#', $data['signature'] ) ? $data['signature'] : '',
		);
	}

	/**
	 * Where the zip is: the service's download URL, or the API's own download path; '' when the
	 * announced URL is not on the service's own origin (then no package is offered).
	 *
	 * @param array $info The release.
	 * @return string
	 */
	private function package_url( $info ) {
		if ( '' === $info['download_url'] ) {
			return $this->api->base_url() . '/wordpress/plugin/download';
		}
		return $this->same_origin( $info['download_url'] ) ? $info['download_url'] : '';
	}

	/**
	 * The pre_set_site_transient_update_plugins filter: adds this plugin to "updates available"
	 * when the service announces a newer version.
	 *
	 * @param mixed $transient The update_plugins transient.
	 * @return mixed
	 */
	public function check_update( $transient ) {
		if ( ! is_object( $transient ) || empty( $transient->checked ) ) {
			return $transient;
		}
		$basename = plugin_basename( AGENTDESK_PLUGIN_FILE );
		$info     = $this->latest();
		if ( null === $info ) {
			return $transient;
		}
		$item      = (object) array(
			'id'           => self::SLUG,
			'slug'         => self::SLUG,
			'plugin'       => $basename,
			'new_version'  => $info['version'],
			'url'          => $info['homepage'],
			// No package (WordPress then says the update must be installed by hand) when it would come over plain http.
			'package'      => '' !== $this->package_url( $info ) && $this->package_scheme_allowed( $this->package_url( $info ) ) ? $this->package_url( $info ) : '',
			'requires'     => $info['requires'],
			'tested'       => $info['tested'],
			'requires_php' => $info['requires_php'],
			'icons'        => array(),
			'banners'      => array(),
		);
		$installed = isset( $transient->checked[ $basename ] ) ? $transient->checked[ $basename ] : AGENTDESK_VERSION;
		if ( version_compare( $info['version'], $installed, '>' ) ) {
			$transient->response[ $basename ] = $item;
		} else {
			unset( $transient->response[ $basename ] );
			$transient->no_update[ $basename ] = $item;
		}
		return $transient;
	}

	/**
	 * The plugins_api filter: the "View version details" dialog.
	 *
	 * @param false|object|array $result The result so far.
	 * @param string             $action The plugins_api action.
	 * @param object             $args   Its arguments.
	 * @return false|object|array
	 */
	public function plugin_information( $result, $action, $args ) {
		if ( 'plugin_information' !== $action || ! is_object( $args ) || empty( $args->slug ) || self::SLUG !== $args->slug ) {
			return $result;
		}
		$info = $this->latest();
		if ( null === $info ) {
			return $result;
		}
		return (object) array(
			'name'          => '' !== $info['name'] ? $info['name'] : 'AgentDesk Chatbot',
			'slug'          => self::SLUG,
			'version'       => $info['version'],
			'author'        => 'AgentDesk',
			'homepage'      => $info['homepage'],
			'requires'      => $info['requires'],
			'tested'        => $info['tested'],
			'requires_php'  => $info['requires_php'],
			'download_link' => $this->package_url( $info ),
			'sections'      => array(
				'description' => '<p>' . esc_html( $info['description'] ) . '</p>',
				'changelog'   => self::changelog_html( $info['changelog'] ),
			),
		);
	}

	/**
	 * The readme's changelog ("= 1.1.0 =" headings and "* " items) as escaped HTML.
	 *
	 * @param string $text The changelog section of readme.txt.
	 * @return string
	 */
	public static function changelog_html( $text ) {
		$html    = '';
		$in_list = false;
		foreach ( preg_split( '/\r?\n/', $text ) as $line ) {
			$line = trim( $line );
			if ( preg_match( '/^\*\s*(.+)$/', $line, $match ) ) {
				$html   .= ( $in_list ? '' : '<ul>' ) . '<li>' . esc_html( $match[1] ) . '</li>';
				$in_list = true;
				continue;
			}
			if ( $in_list ) {
				$html   .= '</ul>';
				$in_list = false;
			}
			if ( preg_match( '/^=\s*(.+?)\s*=$/', $line, $match ) ) {
				$html .= '<h4>' . esc_html( $match[1] ) . '</h4>';
			} elseif ( '' !== $line ) {
				$html .= '<p>' . esc_html( $line ) . '</p>';
			}
		}
		return $html . ( $in_list ? '</ul>' : '' );
	}
}
