//! The launch scheduler: given what has happened so far, which steps start, warm up, are
//! told to go, or will not run. Pure (events in, actions out), so every rule is tested here
//! without processes; `execute` carries the actions out.
//!
//! Rules:
//! - a step starts when every step it depends on has succeeded, at most `jobs` running at
//!   once, in plan order;
//! - a step whose dependencies are all running or succeeded is *prewarmed* (its Python loads
//!   the location while they run), at most `jobs` warming at once; when its dependencies
//!   have succeeded it is told to go (that counts as starting it);
//! - a step whose dependency did not succeed is skipped, naming the step that failed first
//!   in the chain; a warming one is stopped before it touched the instance;
//! - once stopping (an interrupt), nothing starts; pending and warming steps end as
//!   "not started".
//!
//! Local launches ([`super::execute`]) and `--remote` ones ([`super::remote`], built
//! [`Scheduler::without_prewarm`]: a webserver run cannot wait for a go) both follow it, so
//! a summary reads the same either way.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Pending,
    Warming,
    Running,
    Done(Ended),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Succeeded,
    /// Failed or was interrupted while running.
    Failed,
    /// Did not run; the step whose failure it waited on.
    Skipped(usize),
    NotStarted,
}

/// What the supervisor must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Start the step's process; it runs at once.
    Start(usize),
    /// Start the step's process early, waiting for `go`.
    Prewarm(usize),
    /// Tell a warming step to run.
    Go(usize),
    /// The step will not run: `blocked_by` did not succeed. Stop its process if it warms.
    Skip { step: usize, blocked_by: usize },
    /// The launch is stopping and the step never ran. Stop its process if it warms.
    NotStarted {
        step: usize,
        blocked_by: Option<usize>,
    },
}

/// How a warming step's early end counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WarmEnd {
    /// It could not load its location: a failed run of the step.
    Failed,
    /// The launch is stopping: it never ran.
    NotStarted,
}

#[derive(Debug)]
pub(crate) struct Scheduler {
    deps: Vec<Vec<usize>>,
    jobs: usize,
    phase: Vec<Phase>,
    /// Prewarming failed to start: start it the normal way later.
    no_warm: Vec<bool>,
    stopping: bool,
}

impl Scheduler {
    /// `deps[i]` lists the steps step `i` waits for (all lower than `i`).
    pub(crate) fn new(deps: Vec<Vec<usize>>, jobs: usize) -> Self {
        let n = deps.len();
        Scheduler {
            deps,
            jobs: jobs.max(1),
            phase: vec![Phase::Pending; n],
            no_warm: vec![false; n],
            stopping: false,
        }
    }

    /// The same rules without prewarming: steps only ever start.
    pub(crate) fn without_prewarm(deps: Vec<Vec<usize>>, jobs: usize) -> Self {
        let mut s = Self::new(deps, jobs);
        s.no_warm.fill(true);
        s
    }

    /// A started (or told to go) step's process ended.
    pub(crate) fn ended(&mut self, step: usize, succeeded: bool) {
        self.phase[step] = Phase::Done(if succeeded {
            Ended::Succeeded
        } else {
            Ended::Failed
        });
    }

    /// A warming step's process ended before it was told to go.
    pub(crate) fn warm_ended(&mut self, step: usize) -> WarmEnd {
        if self.stopping {
            self.phase[step] = Phase::Done(Ended::NotStarted);
            WarmEnd::NotStarted
        } else {
            self.phase[step] = Phase::Done(Ended::Failed);
            WarmEnd::Failed
        }
    }

    /// Prewarming could not start the process.
    pub(crate) fn prewarm_failed(&mut self, step: usize) {
        self.phase[step] = Phase::Pending;
        self.no_warm[step] = true;
    }

    /// A step's process could not be started at all.
    pub(crate) fn start_failed(&mut self, step: usize) {
        self.phase[step] = Phase::Done(Ended::Failed);
    }

    /// An interrupt: nothing new starts.
    pub(crate) fn stop(&mut self) {
        self.stopping = true;
    }

    /// Whether every step has ended.
    pub(crate) fn finished(&self) -> bool {
        self.phase.iter().all(|p| matches!(p, Phase::Done(_)))
    }

    fn count(&self, want: Phase) -> usize {
        self.phase.iter().filter(|p| **p == want).count()
    }

    /// The step that keeps `step` from running, if one of its dependencies did not succeed.
    fn blocker(&self, step: usize) -> Option<usize> {
        self.deps[step].iter().find_map(|&d| match self.phase[d] {
            Phase::Done(Ended::Failed) => Some(d),
            Phase::Done(Ended::Skipped(b)) => Some(b),
            Phase::Done(Ended::NotStarted) => Some(d),
            _ => None,
        })
    }

    fn deps_succeeded(&self, step: usize) -> bool {
        self.deps[step]
            .iter()
            .all(|&d| self.phase[d] == Phase::Done(Ended::Succeeded))
    }

    /// What to do now.
    pub(crate) fn next(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        let n = self.phase.len();
        for i in 0..n {
            if !matches!(self.phase[i], Phase::Pending | Phase::Warming) {
                continue;
            }
            let blocker = self.blocker(i);
            if self.stopping {
                self.phase[i] = Phase::Done(Ended::NotStarted);
                actions.push(Action::NotStarted {
                    step: i,
                    blocked_by: blocker,
                });
            } else if let Some(b) = blocker {
                self.phase[i] = Phase::Done(Ended::Skipped(b));
                actions.push(Action::Skip {
                    step: i,
                    blocked_by: b,
                });
            }
        }
        if self.stopping {
            return actions;
        }
        let mut running = self.count(Phase::Running);
        for i in 0..n {
            if running >= self.jobs {
                break;
            }
            if !matches!(self.phase[i], Phase::Pending | Phase::Warming) || !self.deps_succeeded(i)
            {
                continue;
            }
            actions.push(if self.phase[i] == Phase::Warming {
                Action::Go(i)
            } else {
                Action::Start(i)
            });
            self.phase[i] = Phase::Running;
            running += 1;
        }
        let mut warming = self.count(Phase::Warming);
        for i in 0..n {
            if warming >= self.jobs {
                break;
            }
            let eligible = self.phase[i] == Phase::Pending
                && !self.no_warm[i]
                && !self.deps[i].is_empty()
                && self.deps[i].iter().all(|&d| {
                    matches!(
                        self.phase[d],
                        Phase::Running | Phase::Done(Ended::Succeeded)
                    )
                });
            if eligible {
                self.phase[i] = Phase::Warming;
                actions.push(Action::Prewarm(i));
                warming += 1;
            }
        }
        actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    #[test]
    fn independent_steps_start_up_to_jobs_and_dependents_prewarm() {
        let mut s = Scheduler::new(vec![vec![], vec![], vec![], vec![0, 1]], 2);
        // Step 3's dependencies are running: it warms up. Step 2 waits for a free slot.
        assert_eq!(s.next(), [Start(0), Start(1), Prewarm(3)]);
        s.ended(0, true);
        assert_eq!(s.next(), [Start(2)]);
        s.ended(1, true);
        assert_eq!(s.next(), [Go(3)]);
        s.ended(2, true);
        s.ended(3, true);
        assert!(s.finished());
    }

    #[test]
    fn a_failure_skips_the_chain_below_it_naming_the_first_failure() {
        let mut s = Scheduler::new(vec![vec![], vec![], vec![0], vec![2]], 2);
        assert_eq!(s.next(), [Start(0), Start(1), Prewarm(2)]);
        s.ended(0, false);
        assert_eq!(
            s.next(),
            [
                Skip {
                    step: 2,
                    blocked_by: 0
                },
                Skip {
                    step: 3,
                    blocked_by: 0
                }
            ]
        );
        s.ended(1, true);
        assert_eq!(s.next(), []);
        assert!(s.finished());
    }

    #[test]
    fn a_warming_step_that_fails_to_load_counts_as_failed() {
        let mut s = Scheduler::new(vec![vec![], vec![0], vec![1]], 1);
        assert_eq!(s.next(), [Start(0), Prewarm(1)]);
        assert_eq!(s.warm_ended(1), WarmEnd::Failed);
        assert_eq!(
            s.next(),
            [Skip {
                step: 2,
                blocked_by: 1
            }]
        );
    }

    #[test]
    fn stopping_starts_nothing_and_ends_waiting_steps_as_not_started() {
        let mut s = Scheduler::new(vec![vec![], vec![0], vec![]], 1);
        assert_eq!(s.next(), [Start(0), Prewarm(1)]);
        s.stop();
        assert_eq!(
            s.next(),
            [
                NotStarted {
                    step: 1,
                    blocked_by: None
                },
                NotStarted {
                    step: 2,
                    blocked_by: None
                }
            ]
        );
        assert!(!s.finished(), "step 0 still runs");
        s.ended(0, false);
        assert!(s.finished());
    }

    #[test]
    fn without_prewarm_dependents_start_only_when_their_dependencies_succeeded() {
        let mut s = Scheduler::without_prewarm(vec![vec![], vec![0], vec![0]], 2);
        assert_eq!(s.next(), [Start(0)]);
        s.ended(0, true);
        assert_eq!(s.next(), [Start(1), Start(2)]);
    }

    #[test]
    fn a_step_whose_prewarm_failed_starts_normally() {
        let mut s = Scheduler::new(vec![vec![], vec![0]], 2);
        assert_eq!(s.next(), [Start(0), Prewarm(1)]);
        s.prewarm_failed(1);
        assert_eq!(s.next(), []);
        s.ended(0, true);
        assert_eq!(s.next(), [Start(1)]);
    }
}
