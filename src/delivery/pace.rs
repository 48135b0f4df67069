//! Pacing hallway's own REST calls under Discord's global rate limit (about 50 requests
//! a second per bot, across all routes; more get a global 429, and 10,000 refused
//! requests in 10 minutes get the bot's IP banned for a while). Interaction responses are
//! not subject to it and never wait here.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// One shared schedule of send slots, `1/rate` apart, with no burst: any one-second
/// window holds at most `rate + 1` requests, so 45 a second stays under Discord's 50.
#[derive(Debug)]
pub struct RateGate {
    interval: Duration,
    next_slot: Mutex<Instant>,
}

impl RateGate {
    /// `rate` requests a second; 0 or less means no pacing.
    pub fn per_second(rate: f64) -> Self {
        let interval = if rate > 0.0 {
            Duration::from_secs_f64(1.0 / rate)
        } else {
            Duration::ZERO
        };
        RateGate {
            interval,
            next_slot: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this request's slot.
    pub async fn acquire(&self) {
        if self.interval.is_zero() {
            return;
        }
        let slot = {
            let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// After a 429 (someone else's traffic, or a limit lower than configured): nothing
    /// goes out for `wait`.
    pub fn hold_off(&self, wait: Duration) {
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        *next = (*next).max(Instant::now() + wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn forty_five_a_second_never_puts_fifty_in_one_second() {
        let gate = std::sync::Arc::new(RateGate::per_second(45.0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let gate = gate.clone();
            tasks.push(tokio::spawn(async move {
                gate.acquire().await;
                Instant::now()
            }));
        }
        let mut sent = Vec::new();
        for task in tasks {
            sent.push(task.await.unwrap());
        }
        sent.sort();
        for (i, at) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|later| **later - *at < Duration::from_secs(1))
                .count();
            assert!(in_window <= 46, "{in_window} requests within a second");
        }
        // And no slower than the rate: 200 requests take about 200/45 s.
        let took = *sent.last().unwrap() - start;
        assert!(took < Duration::from_millis(4_450), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_off_delays_the_next_request() {
        let gate = RateGate::per_second(45.0);
        gate.acquire().await;
        let start = Instant::now();
        gate.hold_off(Duration::from_secs(2));
        gate.acquire().await;
        assert!(Instant::now() - start >= Duration::from_secs(2));
    }
}
