//! The reflector's list-then-watch protocol as a pure state machine: `step(state, input) → (state, action)`.
//!
//! The shell ([`SharedInformer`](super::SharedInformer)) asks [`State::request`]
//! what to do next (list, watch, or read the open watch), performs it, and
//! feeds the outcome back as an [`Input`]; [`step`] decides the next state and
//! what to apply to the cache. Nothing here does I/O, so every rule is a table
//! test:
//!
//! | state | input | next state | action |
//! |---|---|---|---|
//! | `NeedList` | `Listed(items @ r)` | `NeedWatch(r)` | `Replace(items)` |
//! | `NeedWatch(r)` | `WatchStarted` | `Watching(r)` | – |
//! | `NeedWatch(r)` | `WatchFailed { gone: true }` | `NeedList` | – (relist) |
//! | `NeedWatch(r)` | `WatchFailed { gone: false }` | `NeedWatch(r)` | – (retry later) |
//! | `Watching(r)` | `Event(e)`, `e.revision > r` | `Watching(e.revision)` | `Apply(e)` |
//! | `Watching(r)` | `Event(e)`, `e.revision <= r` | `Watching(r)` | – (already applied) |
//! | `Watching(r)` | `Disconnected` | `NeedWatch(r)` | – (resume, no relist) |
//! | any other pair | | unchanged | – (stale input) |

use std::fmt;
use std::sync::Arc;

use crate::store::{ListResult, WatchEvent};

/// Where the reflector stands. `revision`: the cache reflects every write up to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// A (re)list is due: nothing listed yet, or the history to resume from is gone.
    NeedList,
    /// Listed or disconnected: a watch from `revision` is due.
    NeedWatch { revision: u64 },
    /// A watch from `revision` is open.
    Watching { revision: u64 },
}

/// What the shell should do in a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    List,
    Watch {
        from_revision: u64,
    },
    /// Read the open watch.
    Read,
}

impl State {
    pub fn request(self) -> Request {
        match self {
            State::NeedList => Request::List,
            State::NeedWatch { revision } => Request::Watch { from_revision: revision },
            State::Watching { .. } => Request::Read,
        }
    }
    /// The revision the cache reflects (`None` before the first list or while a relist is due).
    pub fn revision(self) -> Option<u64> {
        match self {
            State::NeedList => None,
            State::NeedWatch { revision } | State::Watching { revision } => Some(revision),
        }
    }
}

/// The outcome of the last request, or the next thing read from the watch.
pub enum Input<T> {
    Listed(ListResult<T>),
    WatchStarted,
    WatchFailed { gone: bool },
    Event(WatchEvent<T>),
    Disconnected,
}

impl<T> fmt::Debug for Input<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Listed(l) => write!(f, "Listed({} items @ {})", l.items.len(), l.revision),
            Input::WatchStarted => f.write_str("WatchStarted"),
            Input::WatchFailed { gone } => write!(f, "WatchFailed {{ gone: {gone} }}"),
            Input::Event(e) => write!(f, "Event({:?} @ {})", e.type_, e.revision),
            Input::Disconnected => f.write_str("Disconnected"),
        }
    }
}

/// What to do to the cache.
pub enum Action<T> {
    /// Swap the whole content for a fresh list.
    Replace(Vec<Arc<T>>),
    /// Apply one watch event.
    Apply(WatchEvent<T>),
}

impl<T> fmt::Debug for Action<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Replace(items) => write!(f, "Replace({} items)", items.len()),
            Action::Apply(e) => write!(f, "Apply({:?} @ {})", e.type_, e.revision),
        }
    }
}

/// One transition (see the table in the module doc).
pub fn step<T>(state: State, input: Input<T>) -> (State, Option<Action<T>>) {
    match (state, input) {
        (State::NeedList, Input::Listed(l)) => {
            (State::NeedWatch { revision: l.revision }, Some(Action::Replace(l.items)))
        }
        (State::NeedWatch { revision }, Input::WatchStarted) => (State::Watching { revision }, None),
        (State::NeedWatch { .. }, Input::WatchFailed { gone: true }) => (State::NeedList, None),
        (State::Watching { revision }, Input::Event(e)) if e.revision > revision => {
            (State::Watching { revision: e.revision }, Some(Action::Apply(e)))
        }
        (State::Watching { revision }, Input::Disconnected) => (State::NeedWatch { revision }, None),
        (s, _) => (s, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Pod;
    use crate::api::ObjectMeta;
    use crate::store::EventType;

    fn event(rev: u64) -> WatchEvent<Pod> {
        let p = Pod { metadata: ObjectMeta::named("ns", "p"), ..Default::default() };
        WatchEvent { type_: EventType::Modified, object: Arc::new(p), revision: rev }
    }

    fn listed(n: usize, rev: u64) -> Input<Pod> {
        Input::Listed(ListResult { items: (0..n).map(|_| Arc::new(Pod::default())).collect(), revision: rev })
    }

    /// `step` from `state` on `input`: the next state and the action's shape.
    fn check(state: State, input: Input<Pod>, next: State, action: Option<&str>) {
        let shown = format!("{input:?}");
        let (s, a) = step(state, input);
        assert_eq!(s, next, "{state:?} + {shown}");
        assert_eq!(a.map(|a| format!("{a:?}")).as_deref(), action, "{state:?} + {shown}");
    }

    const NEED_WATCH_5: State = State::NeedWatch { revision: 5 };
    const WATCHING_5: State = State::Watching { revision: 5 };

    #[test]
    fn first_list_replaces_the_cache_and_asks_for_a_watch_from_its_revision() {
        check(State::NeedList, listed(3, 5), NEED_WATCH_5, Some("Replace(3 items)"));
        assert_eq!(NEED_WATCH_5.request(), Request::Watch { from_revision: 5 });
    }

    #[test]
    fn an_empty_cache_lists_first() {
        assert_eq!(State::NeedList.request(), Request::List);
    }

    #[test]
    fn an_opened_watch_is_read() {
        check(NEED_WATCH_5, Input::WatchStarted, WATCHING_5, None);
        assert_eq!(WATCHING_5.request(), Request::Read);
    }

    #[test]
    fn gone_relists() {
        check(NEED_WATCH_5, Input::WatchFailed { gone: true }, State::NeedList, None);
    }

    #[test]
    fn another_watch_failure_retries_the_watch() {
        check(NEED_WATCH_5, Input::WatchFailed { gone: false }, NEED_WATCH_5, None);
    }

    #[test]
    fn events_advance_the_revision() {
        check(WATCHING_5, Input::Event(event(6)), State::Watching { revision: 6 }, Some("Apply(Modified @ 6)"));
        check(WATCHING_5, Input::Event(event(9)), State::Watching { revision: 9 }, Some("Apply(Modified @ 9)"));
    }

    #[test]
    fn events_at_or_below_the_revision_are_dropped() {
        check(WATCHING_5, Input::Event(event(5)), WATCHING_5, None);
        check(WATCHING_5, Input::Event(event(2)), WATCHING_5, None);
    }

    #[test]
    fn disconnect_resumes_from_the_last_revision_without_relisting() {
        check(WATCHING_5, Input::Disconnected, NEED_WATCH_5, None);
    }

    #[test]
    fn stale_inputs_change_nothing() {
        check(State::NeedList, Input::Event(event(9)), State::NeedList, None);
        check(State::NeedList, Input::WatchStarted, State::NeedList, None);
        check(State::NeedList, Input::Disconnected, State::NeedList, None);
        check(NEED_WATCH_5, listed(1, 9), NEED_WATCH_5, None);
        check(NEED_WATCH_5, Input::Event(event(9)), NEED_WATCH_5, None);
        check(WATCHING_5, listed(1, 9), WATCHING_5, None);
        check(WATCHING_5, Input::WatchFailed { gone: true }, WATCHING_5, None);
    }

    #[test]
    fn a_full_story_list_watch_disconnect_gone_relist() {
        let mut s = State::NeedList;
        let inputs = [
            listed(2, 10),
            Input::WatchStarted,
            Input::Event(event(11)),
            Input::Disconnected,
            Input::WatchFailed { gone: true },
            listed(1, 20),
            Input::WatchStarted,
        ];
        let mut actions = Vec::new();
        for i in inputs {
            let (n, a) = step(s, i);
            s = n;
            actions.extend(a.map(|a| format!("{a:?}")));
        }
        assert_eq!(s, State::Watching { revision: 20 });
        assert_eq!(actions, ["Replace(2 items)", "Apply(Modified @ 11)", "Replace(1 items)"]);
        assert_eq!(s.revision(), Some(20));
        assert_eq!(State::NeedList.revision(), None);
    }
}
