//! The `secrets-console` binary: parse the command line, then hand over to `server::run`.

/// mimalloc instead of glibc's allocator: rendering a page allocates a lot of small,
/// short-lived values (docs/benchmarks.md has the before and after).
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::Parser;

    let cli = secrets_console::server::config::Cli::parse();
    match secrets_console::server::commands::main(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("secrets-console: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The binary is only meaningful with the `ssr` feature; the `hydrate` build is a library.
}
