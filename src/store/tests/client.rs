//! Clients: call counts, rate limiting and latency on the virtual clock.

use std::thread;
use std::time::Duration;

use crossbeam_channel::unbounded;

use super::*;

#[test]
fn calls_are_counted_by_client_verb_and_kind() {
    let (s, _) = store();
    let rs = s.client("replicaset-controller");
    let kubelet = s.client("kubelet");
    let p = rs.create(pod("ns", "a")).unwrap();
    rs.create(pod("ns", "a")).unwrap_err(); // failed calls count too
    let _ = rs.get::<Pod>("ns", "a");
    let _ = rs.list::<Pod>(&ListOptions::all());
    let mut st = (*p).clone();
    st.status.host_ip = "10.0.0.1".into();
    kubelet.update_status(st).unwrap();
    let _ = kubelet.watch::<Pod>(0).unwrap();
    let _ = kubelet.patch::<Pod>("ns", "a", |p| {
        p.metadata.labels.insert("x".into(), "y".into());
    });
    kubelet.delete::<Pod>("ns", "a", &DeleteOptions::default()).unwrap();
    s.client("kubelet").get::<Node>("", "n").unwrap_err(); // same name, same counters

    let c = s.api_call_counts();
    assert_eq!(c.get("replicaset-controller", Verb::Create, Kind::Pod), 2);
    assert_eq!(c.get("replicaset-controller", Verb::Get, Kind::Pod), 1);
    assert_eq!(c.get("replicaset-controller", Verb::List, Kind::Pod), 1);
    assert_eq!(c.get("kubelet", Verb::UpdateStatus, Kind::Pod), 1);
    assert_eq!(c.get("kubelet", Verb::Update, Kind::Pod), 0, "status writes are their own verb");
    assert_eq!(c.get("kubelet", Verb::Watch, Kind::Pod), 1);
    assert_eq!(c.get("kubelet", Verb::Patch, Kind::Pod), 1);
    assert_eq!(c.get("kubelet", Verb::Delete, Kind::Pod), 1);
    assert_eq!(c.get("kubelet", Verb::Get, Kind::Node), 1);
    assert_eq!(c.client_total("kubelet"), 5);
    assert_eq!(c.total(Verb::Create, Kind::Pod), 2);
    assert_eq!(c.entries.len(), 8);
    assert_eq!((Verb::UpdateStatus.http_verb(), Verb::UpdateStatus.subresource()), ("update", Some("status")));
}

#[test]
fn an_unpaced_client_never_touches_the_clock() {
    let (s, clock) = store();
    let c = s.client("loadgen");
    for i in 0..10 {
        c.create(pod("ns", &format!("p{i}"))).unwrap();
    }
    assert_eq!(clock.pending_timers(), 0);
    assert_eq!(s.waiting_clients(), 0);
}

/// Runs `calls` requests of a paced client on a helper thread while this thread
/// drives the virtual clock; returns the virtual time (since start) at which each finished.
fn paced_completion_times(opts: ClientOptions, calls: usize) -> Vec<Duration> {
    let (s, clock) = store();
    s.create(pod("ns", "a")).unwrap();
    let c = s.client_with("paced", opts);
    let t0 = clock.now();
    let (tx, rx) = unbounded();
    let worker = {
        let clock = Arc::clone(&clock);
        thread::spawn(move || {
            for _ in 0..calls {
                c.get::<Pod>("ns", "a").unwrap();
                tx.send(clock.now()).unwrap();
            }
        })
    };
    let mut done = Vec::new();
    while done.len() < calls {
        if let Ok(t) = rx.try_recv() {
            done.push(crate::clock::duration_between(t0, t));
        } else if s.waiting_clients() > 0 && clock.pending_timers() > 0 {
            clock.advance_to_next();
        } else {
            thread::yield_now();
        }
    }
    worker.join().unwrap();
    done
}

#[test]
fn the_rate_limiter_passes_a_burst_then_spaces_requests_by_one_over_qps() {
    let ms = Duration::from_millis;
    let got = paced_completion_times(ClientOptions::default().rate_limit(10.0, 3), 6);
    assert_eq!(got, vec![ms(0), ms(0), ms(0), ms(100), ms(200), ms(300)]);
}

#[test]
fn fixed_latency_delays_every_call_on_the_clock() {
    let ms = Duration::from_millis;
    let got = paced_completion_times(ClientOptions::default().latency(Latency::Fixed(ms(7))), 3);
    assert_eq!(got, vec![ms(7), ms(14), ms(21)]);
}

#[test]
fn uniform_latency_is_drawn_from_the_seed() {
    let opts = ClientOptions::default()
        .latency(Latency::Uniform { lo: Duration::from_millis(1), hi: Duration::from_millis(9) });
    let a = paced_completion_times(opts.clone(), 4);
    assert_eq!(a, paced_completion_times(opts, 4), "same seed and client name, same latencies");
    let steps: Vec<Duration> = std::iter::once(a[0]).chain(a.windows(2).map(|w| w[1] - w[0])).collect();
    assert!(steps.iter().all(|d| (Duration::from_millis(1)..=Duration::from_millis(9)).contains(d)), "{steps:?}");
}
