//! A program's interest tags and members' picks.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::Store;
use crate::domain::ids::{GuildId, InterestId, ProgramId, UserId};
use crate::domain::interests::{Interest, TagRefusal, MAX_PICKS, MAX_TAGS};
use crate::on_backend;

impl Store {
    /// The program's tags, oldest first: the order of the matching engine's bits.
    pub async fn interests(&self, program_id: ProgramId) -> anyhow::Result<Vec<Interest>> {
        let rows: Vec<(InterestId, String)> = on_backend!(&self.pool, pool => sqlx::query_as(
            "select interest_id, name from interest where program_id = $1 order by interest_id",
        )
        .bind(program_id)
        .fetch_all(pool)
        .await)
        .context("cannot read the interest tags")?;
        Ok(rows
            .into_iter()
            .map(|(interest_id, name)| Interest { interest_id, name })
            .collect())
    }

    /// Adds a tag, unless the program has [`MAX_TAGS`] or one of that name. The count is
    /// checked under the write lock, so two coordinators at once cannot pass the limit.
    pub async fn add_interest(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        name: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<Interest, TagRefusal>> {
        let mut tx = self.write().await?;
        // A tag it has already is the more useful answer, even when the list is full.
        let existing: Option<InterestId> = on_backend!(tx.conn(), conn =>
            sqlx::query_scalar("select interest_id from interest where program_id = $1 and name = $2")
                .bind(program_id)
                .bind(name)
                .fetch_optional(conn)
                .await)
                .context("cannot read the interest tags")?;
        if existing.is_some() {
            return Ok(Err(TagRefusal::Taken));
        }
        let count: i64 = on_backend!(tx.conn(), conn =>
            sqlx::query_scalar("select count(*) from interest where program_id = $1")
            .bind(program_id)
            .fetch_one(conn)
            .await)
        .context("cannot count the interest tags")?;
        if count >= MAX_TAGS as i64 {
            return Ok(Err(TagRefusal::Full));
        }
        let inserted: Option<InterestId> = on_backend!(tx.conn(), conn => sqlx::query_scalar(
            "insert into interest (program_id, guild_id, name, created_at) values ($1, $2, $3, $4)
             on conflict (program_id, name) do nothing returning interest_id",
        )
        .bind(program_id)
        .bind(guild_id)
        .bind(name)
        .bind(now)
        .fetch_optional(conn)
        .await)
        .context("cannot save the interest tag")?;
        let Some(interest_id) = inserted else {
            return Ok(Err(TagRefusal::Taken));
        };
        tx.commit().await?;
        Ok(Ok(Interest {
            interest_id,
            name: name.to_string(),
        }))
    }

    /// Removes a tag by name (any case), and every member's pick of it. Returns the
    /// removed tag's name as it was stored, or `None` when there is no such tag.
    pub async fn remove_interest(
        &self,
        program_id: ProgramId,
        name: &str,
    ) -> anyhow::Result<Option<String>> {
        let removed: Option<String> = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "delete from interest where program_id = $1 and name = $2 returning name",
        )
        .bind(program_id)
        .bind(name)
        .fetch_optional(pool)
        .await)
        .context("cannot remove the interest tag")?;
        Ok(removed)
    }

    /// The tags a member picked in a program.
    pub async fn member_interests(
        &self,
        program_id: ProgramId,
        user_id: UserId,
    ) -> anyhow::Result<Vec<InterestId>> {
        on_backend!(&self.pool, pool => sqlx::query_scalar(
            "select interest_id from member_interest where program_id = $1 and user_id = $2
             order by interest_id",
        )
        .bind(program_id)
        .bind(user_id)
        .fetch_all(pool)
        .await)
        .context("cannot read the member's interests")
    }

    /// Every member's picks in a program.
    pub async fn program_picks(
        &self,
        program_id: ProgramId,
    ) -> anyhow::Result<Vec<(UserId, InterestId)>> {
        on_backend!(&self.pool, pool => sqlx::query_as(
            "select user_id, interest_id from member_interest where program_id = $1
             order by user_id, interest_id",
        )
        .bind(program_id)
        .fetch_all(pool)
        .await)
        .context("cannot read the members' interests")
    }

    /// Replaces a member's picks with `picks` (at most [`MAX_PICKS`], each a tag of the
    /// program). Returns false, saving nothing, when they are not a current member of
    /// the program or a pick is not one of its tags.
    pub async fn set_member_interests(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        user_id: UserId,
        picks: &[InterestId],
    ) -> anyhow::Result<bool> {
        let mut picks = picks.to_vec();
        picks.sort();
        picks.dedup();
        anyhow::ensure!(picks.len() <= MAX_PICKS, "more than {MAX_PICKS} interests");
        let mut tx = self.write().await?;
        let member: Option<UserId> = on_backend!(tx.conn(), conn => sqlx::query_scalar(
            "select user_id from program_member
             where program_id = $1 and guild_id = $2 and user_id = $3 and left_at is null",
        )
        .bind(program_id)
        .bind(guild_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await)
        .context("cannot read the member")?;
        if member.is_none() {
            return Ok(false);
        }
        on_backend!(tx.conn(), conn =>
            sqlx::query("delete from member_interest where program_id = $1 and user_id = $2")
            .bind(program_id)
            .bind(user_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .context("cannot clear the member's interests")?;
        for pick in &picks {
            let saved = on_backend!(tx.conn(), conn => sqlx::query(
                "insert into member_interest (program_id, user_id, interest_id, guild_id)
                 select $1, $2, interest_id, $3 from interest where interest_id = $4 and program_id = $5
                 on conflict do nothing",
            )
            .bind(program_id)
            .bind(user_id)
            .bind(guild_id)
            .bind(pick)
            .bind(program_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
            .context("cannot save the member's interests")?;
            if saved == 0 {
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }
}
