//! The rows of a scenario, printed as a table with a line that says what they show.

use lambda_stream_testkit::data::megabytes;

use super::{Row, Scenario, Way};

/// The rows of one scenario as a table, and a line that says what they show.
pub fn print_scenario(scenario: Scenario, rows: &[Row]) {
    let rows: Vec<&Row> = rows.iter().filter(|r| r.scenario == scenario).collect();
    if rows.is_empty() {
        return;
    }
    println!("{}", title(scenario));
    println!(
        "{:>9}  {:<13}  {:>6}  {:>9}  {:>10}  {:>11}  {:>9}  {:>8}  {:<30}",
        "size",
        "way",
        "status",
        "TTFB ms",
        "total ms",
        "body bytes",
        "clean end",
        "busy ms",
        "failure reported to Lambda"
    );
    for r in &rows {
        println!(
            "{:>9}  {:<13}  {:>6}  {:>9.1}  {:>10.1}  {:>11}  {:>9}  {:>8.1}  {:<30}",
            size(r.size_bytes),
            r.way.to_string(),
            r.status,
            r.ttfb_ms,
            r.total_ms,
            r.body_bytes,
            match (r.clean_end, r.exact) {
                (true, true) => "yes",
                (true, false) => "yes, short",
                (false, _) => "no",
            },
            r.busy_ms,
            r.reported.as_deref().unwrap_or("no")
        );
    }
    println!("{}\n", summary(scenario, &rows));
}

/// A size in MB, or in KB below 0.1 MB (the tokens scenario's 4 KB).
fn size(bytes: u64) -> String {
    if bytes < 100_000 {
        format!("{:.1} KB", bytes as f64 / 1e3)
    } else {
        megabytes(bytes as usize)
    }
}

fn title(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::Clean => "clean: the whole object",
        Scenario::Failure => "failure: the source breaks half way",
        Scenario::OverBudget => {
            "over budget: an object 20% over the streamed budget (scaled down from 200 MiB)"
        }
        Scenario::SlowClient => "slow client: read at 100 KB/s",
        Scenario::Concurrent => "concurrent: 16 requests at once (TTFB: median; total: slowest)",
        Scenario::Tokens => {
            "tokens: a chat model's stream, 100 events of 40 B, 10 ms apart (each timed from emit to client)"
        }
    }
}

/// One sentence from the numbers.
fn summary(scenario: Scenario, rows: &[&Row]) -> String {
    let by = |way: Way| rows.iter().filter(move |r| r.way == way);
    let describe = |r: &Row| {
        let end = match (r.clean_end, r.exact) {
            (true, true) => "the whole object",
            // An answer that says it is an error (a 413, a 502) is not mistaken for data.
            (true, false) if r.status >= 400 => "a complete error answer",
            (true, false) => "a clean end of a body that is not the object",
            (false, _) => "an aborted response",
        };
        let reported = match &r.reported {
            Some(t) => format!("Lambda recorded {t}"),
            None => "Lambda recorded a success".to_owned(),
        };
        format!(
            "{}: {} with {} body bytes, {end}, {reported}",
            r.way, r.status, r.body_bytes
        )
    };
    match scenario {
        Scenario::Clean => {
            let Some(largest) = rows.iter().map(|r| r.size_bytes).max() else {
                return String::new();
            };
            let at = |way: Way| by(way).find(|r| r.size_bytes == largest);
            match (
                at(Way::Buffered),
                at(Way::LambdaHttp),
                at(Way::LambdaStream),
            ) {
                (Some(b), Some(h), Some(s)) => format!(
                    "=> At {}, the first byte came after {:.0} ms with lambda-stream and {:.0} ms with lambda_http, against {:.0} ms buffered{}.",
                    megabytes(largest as usize),
                    s.ttfb_ms,
                    h.ttfb_ms,
                    b.ttfb_ms,
                    if b.exact {
                        String::new()
                    } else {
                        format!(
                            ", which Lambda refused ({})",
                            b.reported.as_deref().unwrap_or("an error")
                        )
                    }
                ),
                _ => String::new(),
            }
        }
        Scenario::Failure | Scenario::OverBudget => {
            let parts: Vec<String> = rows.iter().map(|r| describe(r)).collect();
            format!("=> {}.", parts.join("; "))
        }
        Scenario::SlowClient => {
            let parts: Vec<String> = rows
                .iter()
                .map(|r| format!("{} busy {:.0} ms", r.way, r.busy_ms))
                .collect();
            let client = rows.iter().map(|r| r.total_ms).fold(0.0, f64::max);
            format!(
                "=> The client took up to {:.1} s; the functions were {} (Lambda buffers, so a slow client does not grow what it bills).",
                client / 1e3,
                parts.join(", ")
            )
        }
        Scenario::Tokens => {
            let parts: Vec<String> = rows
                .iter()
                .map(|r| {
                    format!(
                        "{} {:.2} ms (p99 {:.2} ms)",
                        r.way,
                        r.event_p50_ms.unwrap_or(f64::NAN),
                        r.event_p99_ms.unwrap_or(f64::NAN)
                    )
                })
                .collect();
            format!(
                "=> Each event, from the function's emit to the client, median: {}.",
                parts.join("; ")
            )
        }
        Scenario::Concurrent => {
            let parts: Vec<String> = rows
                .iter()
                .map(|r| {
                    format!(
                        "{} {:.0} ms to the first byte, {:.0} ms for all",
                        r.way, r.ttfb_ms, r.total_ms
                    )
                })
                .collect();
            format!("=> {}.", parts.join("; "))
        }
    }
}
