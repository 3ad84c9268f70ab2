//! The load engine's own cost per request, without any I/O: claiming a
//! request number, building its URL, counting the outcome and recording its
//! latency; and the parse work each request does (JSON user, HTML title).
//!
//! Run with: `cargo bench --bench engine`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fetch_core::{LoadPlan, LoadState, Parse, Progress, Stop, UrlTemplate};

fn accounting(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(1));
    let url = UrlTemplate::new("http://127.0.0.1:8080/users/{id}").expect("valid URL");
    let plan = LoadPlan::new(url, Stop::Requests(u64::MAX))
        .concurrency(1)
        .parse(Parse::User);
    let state = LoadState::new(plan, Progress::new(), 4);
    let mut recorder = state.recorder(0);
    let mut url = String::new();
    group.bench_function("claim+url+record_ok", |b| {
        b.iter(|| {
            let id = state.claim().unwrap_or_default();
            recorder.claimed(id);
            state.plan().url.render(id, &mut url);
            black_box(&url);
            let latency = Duration::from_micros(id % 10_000);
            recorder.answered(200, 52, latency);
            recorder.ok(latency);
        });
    });
    drop(recorder.finish());

    let body = serde_json::to_vec(&fetch_core::User {
        id: 42,
        name: "User 42".into(),
        email: "user42@example.com".into(),
    })
    .expect("serializable");
    group.bench_function("decode_user", |b| {
        b.iter(|| fetch_core::decode_user("u", black_box(&body)))
    });

    let page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
                <title>Page 7</title></head><body><h1>Page 7</h1>\
                <p>A fixture page.</p><a href=\"/pages/8\">next</a></body></html>";
    group.bench_function("extract_title", |b| {
        b.iter(|| fetch_core::extract_title(black_box(page)))
    });
    group.finish();
}

criterion_group!(benches, accounting);
criterion_main!(benches);
