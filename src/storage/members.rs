//! Members: one profile per server in `member`, and one `program_member` row for each
//! program they are in, with their role, capacity, pause and departure there.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::programs::ensure_community;
use super::{parse_column, Conn, Store};
use crate::domain::ids::{GuildId, ProgramId, UserId};
use crate::domain::member::{Joined, Member, Profile, ProfileChange};
use crate::domain::profile::Role;
use crate::domain::program::Program;
use crate::on_backend;

/// A member as one program sees them: their server profile joined with their place in it.
const MEMBER_COLUMNS: &str = "
    select pm.program_id, m.guild_id, m.user_id, m.display_name, pm.role, m.time_zone,
           m.institution, m.time_of_day, m.modality, pm.capacity, m.shoutouts, m.about,
           pm.paused_until, pm.left_at, pm.joined_at, m.joined_at as first_joined_at
    from program_member pm join member m on m.guild_id = pm.guild_id and m.user_id = pm.user_id";

#[derive(sqlx::FromRow)]
struct MemberRow {
    program_id: ProgramId,
    guild_id: GuildId,
    user_id: UserId,
    display_name: String,
    role: String,
    time_zone: Option<String>,
    institution: Option<String>,
    time_of_day: String,
    modality: String,
    capacity: i64,
    shoutouts: bool,
    about: Option<String>,
    paused_until: Option<DateTime<Utc>>,
    left_at: Option<DateTime<Utc>>,
    joined_at: DateTime<Utc>,
    first_joined_at: DateTime<Utc>,
}

impl MemberRow {
    fn into_domain(self) -> anyhow::Result<Member> {
        Ok(Member {
            guild_id: self.guild_id,
            program_id: self.program_id,
            user_id: self.user_id,
            display_name: self.display_name,
            profile: Profile {
                role: parse_column(&self.role, "program_member.role")?,
                time_zone: self
                    .time_zone
                    .map(|zone| parse_column(&zone, "member.time_zone"))
                    .transpose()?,
                institution: self.institution,
                time_of_day: parse_column(&self.time_of_day, "member.time_of_day")?,
                modality: parse_column(&self.modality, "member.modality")?,
                capacity: u8::try_from(self.capacity).context("bad program_member.capacity")?,
            },
            paused_until: self.paused_until,
            left_at: self.left_at,
            joined_at: self.joined_at,
            first_joined_at: self.first_joined_at,
            shoutouts: self.shoutouts,
            about: self.about,
        })
    }
}

/// The server-wide part of a profile, for someone joining another program.
#[derive(sqlx::FromRow)]
struct PersonRow {
    time_zone: Option<String>,
    institution: Option<String>,
    time_of_day: String,
    modality: String,
    shoutouts: bool,
    about: Option<String>,
}

impl Store {
    /// Every member of the program who has not left it, paused ones included.
    pub async fn current_members(&self, program_id: ProgramId) -> anyhow::Result<Vec<Member>> {
        let mut conn = self.pool.acquire().await?;
        current_members(conn.conn(), program_id).await
    }

    /// The member's place in the program, left or not; `None` if they never joined it.
    pub async fn member(
        &self,
        program_id: ProgramId,
        user_id: UserId,
    ) -> anyhow::Result<Option<Member>> {
        let mut conn = self.pool.acquire().await?;
        fetch_member(conn.conn(), program_id, user_id).await
    }

    /// Every program of the server the member joined, left ones included, by program id.
    pub async fn memberships(
        &self,
        guild_id: GuildId,
        user_id: UserId,
    ) -> anyhow::Result<Vec<Member>> {
        let rows: Vec<MemberRow> = on_backend!(&self.pool, pool => sqlx::query_as(&format!(
            "{MEMBER_COLUMNS} where pm.guild_id = $1 and pm.user_id = $2 order by pm.program_id"
        ))
        .bind(guild_id)
        .bind(user_id)
        .fetch_all(pool)
        .await)
        .context("cannot read the member's programs")?;
        rows.into_iter().map(MemberRow::into_domain).collect()
    }

    /// Opts a member into a program, or updates their profile there. Their server-wide
    /// settings change for every program they are in. A member who had left is back.
    pub async fn join(
        &self,
        program: &Program,
        user_id: UserId,
        display_name: &str,
        change: &ProfileChange,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Joined> {
        let guild_id = program.guild_id;
        let mut tx = self.write().await?;
        ensure_community(tx.conn(), guild_id, now).await?;
        let current = fetch_member(tx.conn(), program.program_id, user_id).await?;
        let person: Option<PersonRow> = on_backend!(tx.conn(), conn => sqlx::query_as(
            "select time_zone, institution, time_of_day, modality, shoutouts, about
             from member where guild_id = $1 and user_id = $2",
        )
        .bind(guild_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await)
        .context("cannot read the member's profile")?;
        // New to this program: the server-wide settings carry over; the role is theirs to
        // pick here, and a mentor's capacity starts at the default.
        let known = match (&current, &person) {
            (Some(member), _) => Some(member.profile.clone()),
            (None, Some(person)) => Some(Profile {
                role: Role::Peer,
                time_zone: person
                    .time_zone
                    .as_deref()
                    .map(|zone| parse_column(zone, "member.time_zone"))
                    .transpose()?,
                institution: person.institution.clone(),
                time_of_day: parse_column(&person.time_of_day, "member.time_of_day")?,
                modality: parse_column(&person.modality, "member.modality")?,
                capacity: 0,
            }),
            (None, None) => None,
        };
        let profile = change.apply(known.as_ref());
        let shoutouts = change
            .shoutouts
            .or(person.as_ref().map(|p| p.shoutouts))
            .unwrap_or(true);
        let about = match &change.about {
            Some(about) => about.clone(),
            None => person.as_ref().and_then(|p| p.about.clone()),
        };
        on_backend!(tx.conn(), conn => sqlx::query(
            "insert into member (guild_id, user_id, display_name, time_zone, institution,
                                 time_of_day, modality, shoutouts, about, joined_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             on conflict (guild_id, user_id) do update set
                 display_name = excluded.display_name, time_zone = excluded.time_zone,
                 institution = excluded.institution, time_of_day = excluded.time_of_day,
                 modality = excluded.modality, shoutouts = excluded.shoutouts,
                 about = excluded.about, updated_at = excluded.updated_at",
        )
        .bind(guild_id)
        .bind(user_id)
        .bind(display_name)
        .bind(profile.time_zone.map(|zone| zone.name()))
        .bind(&profile.institution)
        .bind(profile.time_of_day)
        .bind(profile.modality)
        .bind(shoutouts)
        .bind(&about)
        .bind(now)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the member's profile")?;
        on_backend!(tx.conn(), conn => sqlx::query(
            "insert into program_member (program_id, guild_id, user_id, role, capacity,
                                         joined_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7)
             on conflict (program_id, user_id) do update set
                 role = excluded.role, capacity = excluded.capacity, left_at = null,
                 updated_at = excluded.updated_at",
        )
        .bind(program.program_id)
        .bind(guild_id)
        .bind(user_id)
        .bind(profile.role)
        .bind(i64::from(profile.capacity))
        .bind(now)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the member's place in the program")?;
        let member = fetch_member(tx.conn(), program.program_id, user_id)
            .await?
            .context("member vanished right after being saved")?;
        tx.commit().await?;
        Ok(Joined {
            member,
            first_time: current.is_none(),
            was_away: current.is_some_and(|m| m.left_at.is_some()),
        })
    }

    /// Pauses a member in a program until `until`. Returns false when they are not a
    /// current member of it.
    pub async fn pause(
        &self,
        program_id: ProgramId,
        user_id: UserId,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        self.set_standing(program_id, user_id, Some(until), None, now)
            .await
    }

    /// Ends a pause. Returns false when they are not a current member of the program.
    pub async fn resume(
        &self,
        program_id: ProgramId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        self.set_standing(program_id, user_id, None, None, now)
            .await
    }

    /// Stops matching a member in a program but keeps their history, so they can come
    /// back. Returns false when they are not a current member of it.
    pub async fn leave(
        &self,
        program_id: ProgramId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        self.set_standing(program_id, user_id, None, Some(now), now)
            .await
    }

    /// Someone left the Discord server: they leave every program of it. Returns false
    /// when they were in none.
    pub async fn leave_server(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let done = on_backend!(&self.pool, pool => sqlx::query(
            "update program_member set paused_until = null, left_at = $1, updated_at = $2
             where guild_id = $3 and user_id = $4 and left_at is null",
        )
        .bind(now)
        .bind(now)
        .bind(guild_id)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot take the member out of the server's programs")?;
        Ok(done > 0)
    }

    /// Sets a current member's pause and departure; members who left are untouched.
    async fn set_standing(
        &self,
        program_id: ProgramId,
        user_id: UserId,
        paused_until: Option<DateTime<Utc>>,
        left_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let done = on_backend!(&self.pool, pool => sqlx::query(
            "update program_member set paused_until = $1, left_at = $2, updated_at = $3
             where program_id = $4 and user_id = $5 and left_at is null",
        )
        .bind(paused_until)
        .bind(left_at)
        .bind(now)
        .bind(program_id)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot change the member's standing")?;
        Ok(done == 1)
    }
}

/// Every member of a program who has not left it, by user id.
pub(super) async fn current_members(
    conn: Conn<'_>,
    program_id: ProgramId,
) -> anyhow::Result<Vec<Member>> {
    let rows: Vec<MemberRow> = on_backend!(conn, conn => sqlx::query_as(&format!(
        "{MEMBER_COLUMNS} where pm.program_id = $1 and pm.left_at is null order by pm.user_id"
    ))
    .bind(program_id)
    .fetch_all(conn)
    .await)
    .context("cannot read the members")?;
    rows.into_iter().map(MemberRow::into_domain).collect()
}

async fn fetch_member(
    conn: Conn<'_>,
    program_id: ProgramId,
    user_id: UserId,
) -> anyhow::Result<Option<Member>> {
    let row: Option<MemberRow> = on_backend!(conn, conn => sqlx::query_as(&format!(
        "{MEMBER_COLUMNS} where pm.program_id = $1 and pm.user_id = $2"
    ))
    .bind(program_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await)
    .context("cannot read the member")?;
    row.map(MemberRow::into_domain).transpose()
}
