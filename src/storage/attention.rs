//! What the attention list is made from: each member's recent rounds and answers, pauses,
//! mentors' loads.

use super::Store;

impl Store {}
