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
		return '' !== $service && strtolower( (string) $host ) === $service && 0 === strpos( (string) $url, $base . '/' );
	}

	/**
	 * The upgrader_pre_download filter: downloads this plugin's package itself and installs it
	 * only if its SHA-256 is the one the service published. Other packages are left to WordPress.
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
		if ( null === $info || $package !== $this->package_url( $info ) ) {
			return $reply;
		}
		if ( ! $this->package_scheme_allowed( $package ) ) {
			return new WP_Error( 'agentdesk_insecure_package', __( 'The AgentDesk update was refused: its download address is not https while the API URL is.', 'agentdesk-chatbot' ) );
		}
		if ( '' === $info['sha256'] ) {
			return new WP_Error( 'agentdesk_no_checksum', __( 'The AgentDesk update was refused: the service published no checksum for it.', 'agentdesk-chatbot' ) );
		}
		if ( is_object( $upgrader ) && isset( $upgrader->skin ) && is_object( $upgrader->skin ) && method_exists( $upgrader->skin, 'feedback' ) ) {
			$upgrader->skin->feedback( 'downloading_package', $package );
		}
		if ( ! function_exists( 'download_url' ) ) {
			// Loaded in wp-admin; a caller of the upgrader elsewhere (cron, WP-CLI) may not have it yet.
			require_once ABSPATH . 'wp-admin/includes/file.php';
		}
		$file = download_url( $package, 60 );
		if ( is_wp_error( $file ) ) {
			return $file;
		}
		if ( ! hash_equals( $info['sha256'], (string) hash_file( 'sha256', $file ) ) ) {
			wp_delete_file( $file );
			return new WP_Error( 'agentdesk_checksum_mismatch', __( 'The AgentDesk update was refused: the downloaded file does not match the checksum the service published.', 'agentdesk-chatbot' ) );
		}
		return $file;
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
		$text = function ( $key ) use ( $data ) {
			return isset( $data[ $key ] ) && is_scalar( $data[ $key ] ) ? sanitize_text_field( (string) $data[ $key ] ) : '';
		};
		return array(
			'version'      => $version,
			'name'         => $text( 'name' ),
			'requires'     => $text( 'requires' ),
			'tested'       => $text( 'tested' ),
			'requires_php' => $text( 'requires_php' ),
			'homepage'     => isset( $data['homepage'] ) ? esc_url_raw( (string) $data['homepage'] ) : '',
			'download_url' => isset( $data['download_url'] ) ? esc_url_raw( (string) $data['download_url'], array( 'http', 'https' ) ) : '',
			'changelog'    => isset( $data['changelog'] ) && is_string( $data['changelog'] ) ? $data['changelog'] : '',
			'description'  => $text( 'description' ),
			'sha256'       => isset( $data['sha256'] ) && is_string( $data['sha256'] ) && preg_match( '/^[0-9a-f]{64}$/', $data['sha256'] ) ? $data['sha256'] : '',
		);
	}

	/**
	 * Where the zip is: the service's download URL, or the API's own download path.
	 *
	 * @param array $info The release.
	 * @return string
	 */
	private function package_url( $info ) {
		return '' !== $info['download_url'] ? $info['download_url'] : $this->api->base_url() . '/wordpress/plugin/download';
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
			'package'      => $this->package_scheme_allowed( $this->package_url( $info ) ) ? $this->package_url( $info ) : '',
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
