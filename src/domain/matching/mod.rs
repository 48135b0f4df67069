//! The matching engine: who meets whom this round.
