//! The memory a response holds while the Runtime API reads slowly or not at all: the
//! read-ahead window, the rechunking band and the HTTP client's buffer, whatever the size
//! of the object.

use std::convert::Infallible;
use std::time::Duration;

use lambda_http::{Request, service_fn};
use lambda_stream::MetadataPrelude;
use lambda_stream::chunk::{DEFAULT_WINDOW, RechunkConfig};
use lambda_stream_runtime::Runtime;
use lambda_stream_testkit::Script;
use lambda_stream_testkit::data::{REFERENCE_SIZES, megabytes, pattern};
use lambda_stream_testkit::heap::{self, HeapStats};
use lambda_stream_testkit::servers::RuntimeApi;
use lambda_stream_testkit::servers::runtime_api::{Behaviour, Update, function_url_event};

/// The connection's write buffer (`Builder::write_buffer`), a documented part of the
/// bound; set here, so the bound does not depend on the default.
const WRITE_BUFFER: u64 = 512 * 1024;

/// What one invocation costs beyond its body: the event, the request, the context, the
/// connection, the prelude. Measured at about 45 KB (the peak at 0.2 MB, whose body the
/// socket takes whole, less one chunk); this is the margin.
const PER_INVOCATION: u64 = 48 * 1024;

/// The chunk size of the object.
const CHUNK: u64 = 64 * 1024;

/// Serves one object of `size` (in 64 KiB chunks, each allocated as it is read, as an S3
/// body arrives) to an emulator that stalls reading for `stall`, on a thread whose heap is
/// measured, and checks the body arrives whole.
fn serve_stalled(size: usize, stall: Duration) -> HeapStats {
    let data = pattern(size);
    let served = data.clone();
    let api = RuntimeApi::start().unwrap();
    let runtime = Runtime::builder()
        .endpoint(api.endpoint())
        .write_buffer(WRITE_BUFFER as usize)
        .build()
        .unwrap();
    let function = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let service = service_fn(move |_: Request| {
            // Each chunk a fresh allocation on this thread, as a network body's are.
            let (source, _) = Script::new(served.clone())
                .chunk_sizes([CHUNK as usize])
                .allocate_chunks()
                .build();
            let prelude = MetadataPrelude::builder()
                .header("Content-Type", "application/octet-stream")
                .build()
                .unwrap();
            async move { Ok::<_, Infallible>(lambda_stream::response(prelude, source)) }
        });
        heap::measure(|| rt.block_on(runtime.run(service)))
    });
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    client.block_on(async {
        let mut invocation = api.invoke_with(
            function_url_event("GET", "/", &[]),
            Behaviour::StallReading(stall),
        );
        let mut body = Vec::with_capacity(size + 1024);
        loop {
            match tokio::time::timeout(Duration::from_secs(120), invocation.next())
                .await
                .expect("the answer goes on")
            {
                Some(Update::Data(d)) => body.extend_from_slice(&d),
                Some(Update::End { complete }) => {
                    assert!(complete);
                    break;
                }
                Some(_) => {}
                None => panic!("the emulator stopped"),
            }
        }
        assert!(
            body.ends_with(&data),
            "{}: the whole object, in order",
            megabytes(size)
        );
    });
    api.shutdown();
    let (result, stats) = function.join().unwrap();
    assert!(result.is_err(), "the runtime stopped with the emulator");
    stats
}

#[test]
fn a_stalled_runtime_api_holds_the_window_the_band_and_the_client_buffer() {
    // 64 KiB chunks are within the default frame band, so they pass as they are: the
    // response holds the read-ahead window, the connection's write buffer and the chunk
    // that overflows it. (Chunks that must be coalesced or split add up to two frames of the band's
    // maximum, as the runtime's docs say.)
    let config = RechunkConfig::default();
    assert!((config.min() as u64..=config.max() as u64).contains(&CHUNK));
    let bound = DEFAULT_WINDOW as u64 + CHUNK + WRITE_BUFFER + PER_INVOCATION;
    let mut peaks = Vec::new();
    // Past 4.4 MB the socket's buffers are full before the stall ends: the pipeline holds
    // all it may.
    for size in [
        REFERENCE_SIZES[0],
        REFERENCE_SIZES[1],
        REFERENCE_SIZES[2],
        50_000_000,
    ] {
        let stats = serve_stalled(size, Duration::from_millis(1500));
        println!(
            "{}: peak heap {} B while the Runtime API stalled for 1.5 s (bound {bound} B)",
            megabytes(size),
            stats.peak_bytes
        );
        assert!(
            stats.peak_bytes <= bound,
            "{}: peak {} B over the bound {bound} B",
            megabytes(size),
            stats.peak_bytes
        );
        peaks.push(stats.peak_bytes);
    }
    // Flat in the size: 50 MB holds no more than 13.8 MB does, within 10%.
    assert!(
        peaks[3] * 10 <= peaks[2] * 11,
        "peak at 50 MB {} B against {} B at 13.8 MB",
        peaks[3],
        peaks[2]
    );
}
