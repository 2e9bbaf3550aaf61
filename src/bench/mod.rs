//! `secrets-console bench`: measures what users feel, each figure beside a baseline measured in
//! the same run on the same machine, and prints one table (figure, value, baseline, ratio,
//! goal, met?). `scripts/bench.sh` runs it on the release build; `--smoke` is the short run the
//! test command makes (smaller data, shorter load, goals not enforced). `docs/benchmarks.md`
//! explains each figure and records a run.
//!
//! Figures 5 (start and memory), 4 (first load) and 2 (the Secrets page under load) are
//! measured here; 1 (live badge latency), 3 (fan-out) and 6 (recovery), which need a cluster,
//! in [`cluster`]; what they share is in [`harness`].

use anyhow::Context;

pub use crate::server::config::BenchArgs;
pub use harness::seed;
use harness::{Figure, Scale};

mod cluster;
mod harness;
mod pages;

/// Runs the figures asked for (all by default) and prints the table.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let scale = if args.smoke {
        Scale::SMOKE
    } else {
        Scale::FULL
    };
    if let Some(dir) = &args.app_logs {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        harness::keep_app_logs_in(dir.clone());
    }
    let wanted = |figure: u8| args.only.is_empty() || args.only.contains(&figure);
    let mut figures = Vec::new();
    if wanted(5) {
        figures.extend(pages::start_and_memory(&scale, &args.site_root).await?);
    }
    if wanted(4) || wanted(2) {
        figures.extend(pages::first_load_and_page(&scale, &args.site_root).await?);
    }
    if wanted(1) || wanted(3) || wanted(6) {
        let platform = cluster::Platform::start(scale.projects, &args.site_root).await?;
        if wanted(1) {
            figures.push(cluster::badge_latency(&platform, &scale, &args.end2end).await?);
        }
        if wanted(3) {
            figures.push(cluster::fan_out(&platform).await?);
        }
        if wanted(6) {
            figures.push(cluster::recovery(&platform, &scale).await?);
        }
    }
    figures.sort_by(|a, b| a.name.cmp(&b.name));
    print_table(&figures, args.smoke);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&figures)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let missed: Vec<&str> = figures
        .iter()
        .filter(|f| !f.met)
        .map(|f| f.name.as_str())
        .collect();
    if !args.smoke && !missed.is_empty() {
        println!("goals missed: {}", missed.join(", "));
    }
    Ok(())
}

fn print_table(figures: &[Figure], smoke: bool) {
    println!(
        "\n{:<44} {:>12} {:>12} {:>7}  {:<18} met",
        "figure", "value", "baseline", "ratio", "goal"
    );
    for f in figures {
        let baseline = f
            .baseline
            .map_or_else(|| "—".to_owned(), |b| format!("{b:.1}"));
        let ratio = f
            .baseline
            .filter(|b| *b != 0.0)
            .map_or_else(|| "—".to_owned(), |b| format!("{:.3}", f.value / b));
        println!(
            "{:<44} {:>12} {:>12} {:>7}  {:<18} {}",
            format!("{} ({})", f.name, f.unit),
            format!("{:.1}", f.value),
            baseline,
            ratio,
            f.goal,
            if f.met { "yes" } else { "NO" }
        );
    }
    for f in figures {
        println!("  {}: {}", f.name, f.note);
    }
    if smoke {
        println!("(smoke run: small data, short load; the figures are not the recorded ones)");
    }
}
