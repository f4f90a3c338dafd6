// Types of scripts/build-server.mjs (plain JavaScript: it runs before anything is compiled).
export declare const ROOT: string;
export declare const BUILD_DIR: string;
/** Whether build/ holds the compiled form of the current src/. */
export declare function buildIsCurrent(): boolean;
/** Compiles src/ into a fresh build/ (or into `outDir`); throws with tsc's output when it fails. */
export declare function buildServer(options?: { outDir?: string }): void;
