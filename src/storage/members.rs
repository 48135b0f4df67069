//! Members' profiles and standing.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::communities::ensure_community;
use super::{db_id, id_from_db, parse_column, Store};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::member::{Joined, ProfileChange};
use crate::domain::member::{Member, Profile};

#[derive(sqlx::FromRow)]
struct MemberRow {
    guild_id: i64,
    user_id: i64,
    display_name: String,
    role: String,
    time_zone: Option<String>,
    institution: Option<String>,
    time_of_day: String,
    modality: String,
    capacity: i64,
    shoutouts: bool,
    paused_until: Option<DateTime<Utc>>,
    left_at: Option<DateTime<Utc>>,
    joined_at: DateTime<Utc>,
}

impl MemberRow {
    fn into_domain(self) -> anyhow::Result<Member> {
        Ok(Member {
            guild_id: id_from_db(self.guild_id),
            user_id: id_from_db(self.user_id),
            display_name: self.display_name,
            profile: Profile {
                role: parse_column(&self.role, "member.role")?,
                time_zone: self
                    .time_zone
                    .map(|zone| parse_column(&zone, "member.time_zone"))
                    .transpose()?,
                institution: self.institution,
                time_of_day: parse_column(&self.time_of_day, "member.time_of_day")?,
                modality: parse_column(&self.modality, "member.modality")?,
                capacity: u8::try_from(self.capacity).context("bad member.capacity")?,
            },
            paused_until: self.paused_until,
            left_at: self.left_at,
            joined_at: self.joined_at,
            shoutouts: self.shoutouts,
        })
    }
}

impl Store {
    /// Every member who has not left, paused ones included.
    pub async fn current_members(&self, guild_id: GuildId) -> anyhow::Result<Vec<Member>> {
        let mut conn = self.pool.acquire().await?;
        current_members(&mut conn, guild_id).await
    }

    pub async fn member(
        &self,
        guild_id: GuildId,
        user_id: UserId,
    ) -> anyhow::Result<Option<Member>> {
        fetch_member(&self.pool, guild_id, user_id).await
    }

    /// Opts a member in, or updates their profile. A member who had left is back.
    pub async fn join(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        display_name: &str,
        change: &ProfileChange,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Joined> {
        let mut tx = self.write().await?;
        ensure_community(&mut tx, guild_id, now).await?;
        let current = fetch_member(&mut *tx, guild_id, user_id).await?;
        let profile = change.apply(current.as_ref().map(|m| &m.profile));
        sqlx::query(
            "insert into member (guild_id, user_id, display_name, role, time_zone, institution,
                                 time_of_day, modality, capacity, shoutouts, joined_at, updated_at)
             values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             on conflict (guild_id, user_id) do update set
                 display_name = excluded.display_name, role = excluded.role,
                 time_zone = excluded.time_zone, institution = excluded.institution,
                 time_of_day = excluded.time_of_day, modality = excluded.modality,
                 capacity = excluded.capacity, shoutouts = excluded.shoutouts, left_at = null,
                 updated_at = excluded.updated_at",
        )
        .bind(db_id(guild_id))
        .bind(db_id(user_id))
        .bind(display_name)
        .bind(profile.role.as_str())
        .bind(profile.time_zone.map(|zone| zone.name()))
        .bind(&profile.institution)
        .bind(profile.time_of_day.as_str())
        .bind(profile.modality.as_str())
        .bind(i64::from(profile.capacity))
        .bind(
            change
                .shoutouts
                .or(current.as_ref().map(|m| m.shoutouts))
                .unwrap_or(true),
        )
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("cannot save the member's profile")?;
        let member = fetch_member(&mut *tx, guild_id, user_id)
            .await?
            .context("member vanished right after being saved")?;
        tx.commit().await?;
        Ok(Joined {
            member,
            first_time: current.is_none(),
            was_away: current.is_some_and(|m| m.left_at.is_some()),
        })
    }

    /// Pauses a member until `until`. Returns false when they are not a current member.
    pub async fn pause(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        self.set_standing(guild_id, user_id, Some(until), None, now)
            .await
    }

    /// Ends a pause. Returns false when they are not a current member.
    pub async fn resume(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        self.set_standing(guild_id, user_id, None, None, now).await
    }

    /// Stops matching a member but keeps their history, so they can come back.
    /// Returns false when they are not a current member.
    pub async fn leave(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        self.set_standing(guild_id, user_id, None, Some(now), now)
            .await
    }

    /// Sets a current member's pause and departure; members who left are untouched.
    async fn set_standing(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        paused_until: Option<DateTime<Utc>>,
        left_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "update member set paused_until = ?, left_at = ?, updated_at = ?
             where guild_id = ? and user_id = ? and left_at is null",
        )
        .bind(paused_until)
        .bind(left_at)
        .bind(now)
        .bind(db_id(guild_id))
        .bind(db_id(user_id))
        .execute(&self.pool)
        .await
        .context("cannot change the member's standing")?;
        Ok(done.rows_affected() == 1)
    }
}

/// Every member of a community who has not left, by user id.
pub(super) async fn current_members(
    conn: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
) -> anyhow::Result<Vec<Member>> {
    let rows: Vec<MemberRow> = sqlx::query_as(
        "select * from member where guild_id = ? and left_at is null order by user_id",
    )
    .bind(db_id(guild_id))
    .fetch_all(conn)
    .await
    .context("cannot read the members")?;
    rows.into_iter().map(MemberRow::into_domain).collect()
}

async fn fetch_member<'e, E: sqlx::SqliteExecutor<'e>>(
    executor: E,
    guild_id: GuildId,
    user_id: UserId,
) -> anyhow::Result<Option<Member>> {
    let row: Option<MemberRow> =
        sqlx::query_as("select * from member where guild_id = ? and user_id = ?")
            .bind(db_id(guild_id))
            .bind(db_id(user_id))
            .fetch_optional(executor)
            .await
            .context("cannot read the member")?;
    row.map(MemberRow::into_domain).transpose()
}
