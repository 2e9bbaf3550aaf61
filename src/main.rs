//! The `secrets-console` binary: parse the command line, then hand over to `server::run`.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::Parser;

    let cli = secrets_console::server::config::Cli::parse();
    match secrets_console::server::main(cli).await {
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
