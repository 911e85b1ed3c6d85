//! Conversations between a buyer and a store, and their messages. A buyer
//! opens one with a store (optionally about one of its products); the buyer and
//! the store's seller talk in it, the seller's AI assistant may answer on the
//! store's behalf, and tenant administrators may add system notices. Staff read
//! every conversation (trust and safety needs it); others only their own.

use std::fmt;

use crate::schema::{conversations, messages};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{Db, DbConn, Page, PageRequest, ScopedFutureExt};

use warden_quotas::resources::{self, ResourceDelta};

use crate::content_screen::{ContentKind, ContentScreen};
use crate::products::PUBLIC;
use crate::{Actor, CommerceError, Role, products, sellers, validate};

/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;

/// Whether a conversation takes new messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// Takes new messages.
    Open,
    /// Read only.
    Closed,
}

impl ConversationStatus {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

impl fmt::Display for ConversationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for ConversationStatus {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            _ => Err(format!("unknown conversation status {s:?}")),
        }
    }
}

/// Who wrote a message.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    /// A participant, in person (`author_id` is theirs).
    #[default]
    User,
    /// The store's AI sales assistant, speaking for the seller (`author_id` is
    /// the seller's user id).
    Assistant,
    /// A notice from the tenant's administrators (`author_id` is null).
    System,
}

impl AuthorKind {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::System => "system",
        }
    }
}

impl fmt::Display for AuthorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for AuthorKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            "user" => Ok(Self::User),
            "assistant" => Ok(Self::Assistant),
            "system" => Ok(Self::System),
            _ => Err(format!("unknown author kind {s:?}")),
        }
    }
}

/// A conversation between a buyer and a store.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = conversations)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Conversation {
    /// Conversation id.
    pub id: Uuid,
    /// The buyer who opened it.
    pub buyer_id: Uuid,
    /// The store spoken to.
    pub seller_id: Uuid,
    /// The product it is about, if any.
    pub product_id: Option<Uuid>,
    /// Subject; empty when none was given.
    pub subject: String,
    /// `open` or `closed`.
    #[diesel(deserialize_as = String)]
    pub status: ConversationStatus,
    /// Opened at.
    pub created_at: DateTime<Utc>,
    /// Last message (or other change) at.
    pub updated_at: DateTime<Utc>,
}

/// A message of a conversation.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = messages)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Message {
    /// Message id.
    pub id: Uuid,
    /// The conversation.
    pub conversation_id: Uuid,
    /// Who wrote it.
    #[diesel(deserialize_as = String)]
    pub author_kind: AuthorKind,
    /// The writing user (for `assistant`, the seller it speaks for); null for `system`.
    pub author_id: Option<Uuid>,
    /// Text.
    pub body: String,
    /// `approved`, `flagged`, `pending_review` (shown only to its author and
    /// staff until a reviewer approves), `rejected` or `changes_requested`.
    pub moderation_status: String,
    /// Posted at.
    pub created_at: DateTime<Utc>,
}

/// A new conversation (`POST /conversations`).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    /// The store to talk to; not the caller's own.
    pub seller_id: Uuid,
    /// A product of that store the conversation is about.
    #[serde(default)]
    pub product_id: Option<Uuid>,
    /// Subject, up to 200 characters.
    #[serde(default)]
    #[schema(
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub subject: Option<String>,
    /// A first message, up to 10000 characters; blank means none.
    #[serde(default)]
    #[schema(
        max_length = 10000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub message: Option<String>,
}

/// A new message.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// Text, 1 to 10000 characters.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub body: String,
    /// Who speaks; `user` when absent. `assistant` only the conversation's
    /// seller may post (their AI assistant); `system` only tenant administrators.
    #[serde(default)]
    pub author_kind: Option<AuthorKind>,
}

/// Filters for listing conversations.
#[derive(Clone, Debug, Default)]
pub struct ConversationFilter {
    /// Only conversations with this status.
    pub status: Option<ConversationStatus>,
}

/// How the actor stands to one conversation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Standing {
    buyer: bool,
    seller: bool,
    admin: bool,
    staff: bool,
}

impl Standing {
    fn of(actor: &Actor, conversation: &Conversation, own_store: Option<Uuid>) -> Self {
        Self {
            buyer: conversation.buyer_id == actor.user_id,
            seller: own_store == Some(conversation.seller_id),
            admin: actor.is_admin(),
            staff: actor.is_staff(),
        }
    }

    fn participant(self) -> bool {
        self.buyer || self.seller
    }

    fn can_see(self) -> bool {
        self.participant() || self.staff
    }
}

/// Checks that the actor may post as `kind`, and gives the message's `author_id`.
fn author_for(
    standing: Standing,
    actor: &Actor,
    kind: AuthorKind,
) -> Result<Option<Uuid>, CommerceError> {
    match kind {
        AuthorKind::User if standing.participant() => Ok(Some(actor.user_id)),
        AuthorKind::User => Err(CommerceError::forbidden(
            "only the conversation's buyer and seller may post in it",
        )),
        AuthorKind::Assistant if standing.seller => Ok(Some(actor.user_id)),
        AuthorKind::Assistant => Err(CommerceError::forbidden(
            "only the conversation's seller may post assistant messages",
        )),
        AuthorKind::System if standing.admin => Ok(None),
        AuthorKind::System => Err(CommerceError::forbidden(
            "only tenant administrators may post system messages",
        )),
    }
}

/// Opens a conversation with a store (buyers only), with an optional first
/// message, which is moderated first: a rejection writes nothing.
pub async fn create(
    db: &Db,
    screen: &dyn ContentScreen,
    actor: &Actor,
    new: NewConversation,
) -> Result<Conversation, CommerceError> {
    if !actor.has(Role::Buyer) {
        return Err(CommerceError::forbidden(
            "only buyers may start conversations",
        ));
    }
    let subject = validate::opt_title("subject", new.subject.as_deref(), MAX_SUBJECT_CHARS)?
        .unwrap_or_default();
    let message = validate::opt_text("message", new.message.as_deref(), MAX_BODY_CHARS)?;
    let verdict = match &message {
        Some(body) => Some(
            screen
                .screen(db, actor, ContentKind::Message, None, body.clone())
                .await?,
        ),
        None => None,
    };
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let store = sellers::by_id(conn, new.seller_id).await?;
            if store.user_id == actor.user_id {
                return Err(CommerceError::forbidden(
                    "you cannot start a conversation with your own store",
                ));
            }
            if let Some(product_id) = new.product_id {
                match products::visible(conn, &actor, product_id).await {
                    Ok(p) if p.seller_id == store.id => {}
                    Ok(_) | Err(CommerceError::Refused(warden_tenancy::Rejection::NotFound(_))) => {
                        return Err(CommerceError::invalid(
                            "product_id must be a product of this store",
                        ));
                    }
                    Err(e) => return Err(e),
                }
            }
            let tenant = actor.tenant.as_uuid();
            let conversation: Conversation = diesel::insert_into(conversations::table)
                .values((
                    conversations::tenant_id.eq(tenant),
                    conversations::id.eq(Uuid::now_v7()),
                    conversations::buyer_id.eq(actor.user_id),
                    conversations::seller_id.eq(store.id),
                    conversations::product_id.eq(new.product_id),
                    conversations::subject.eq(subject),
                    conversations::status.eq(ConversationStatus::Open.as_str()),
                ))
                .returning(Conversation::as_returning())
                .get_result(conn)
                .await?;
            let mut bytes = validate::stored_bytes(&conversation.subject);
            if let (Some(body), Some(verdict)) = (message, &verdict) {
                bytes += validate::stored_bytes(&body);
                let id = Uuid::now_v7();
                let moderation = verdict
                    .record(conn, actor.tenant, id, Some(actor.user_id))
                    .await?;
                diesel::insert_into(messages::table)
                    .values((
                        messages::tenant_id.eq(tenant),
                        messages::id.eq(id),
                        messages::moderation_status.eq(moderation.as_str()),
                        messages::conversation_id.eq(conversation.id),
                        messages::author_kind.eq(AuthorKind::User.as_str()),
                        messages::author_id.eq(actor.user_id),
                        messages::body.eq(body),
                    ))
                    .execute(conn)
                    .await?;
            }
            resources::charge(conn, actor.tenant, ResourceDelta::bytes(bytes)).await?;
            Ok(conversation)
        }
        .scope_boxed()
    })
    .await
}

/// Loads a conversation the actor may see: participants and staff; others get
/// 404. With `lock`, the row is locked until the transaction ends.
async fn visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: Uuid,
    lock: bool,
) -> Result<(Conversation, Standing), CommerceError> {
    let q = conversations::table
        .filter(conversations::id.eq(id))
        .select(Conversation::as_select());
    let conversation = if lock {
        q.for_no_key_update().first(conn).await.optional()?
    } else {
        q.first(conn).await.optional()?
    }
    .ok_or(CommerceError::not_found("conversation"))?;
    let own_store = sellers::of_user(conn, actor.user_id).await?.map(|s| s.id);
    let standing = Standing::of(actor, &conversation, own_store);
    if standing.can_see() {
        Ok((conversation, standing))
    } else {
        Err(CommerceError::not_found("conversation"))
    }
}

/// Reads a conversation: its buyer, its store's seller, or staff.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Conversation, CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move { Ok(visible(conn, &actor, id, false).await?.0) }.scope_boxed()
    })
    .await
}

/// Lists conversations, newest first: staff see every conversation of the
/// tenant; others those they opened and those with their store.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: ConversationFilter,
    page: PageRequest,
) -> Result<Page<Conversation>, CommerceError> {
    let actor = actor.clone();
    let rows = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                let mut q = conversations::table
                    .select(Conversation::as_select())
                    .order(conversations::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if !actor.is_staff() {
                    q = match sellers::of_user(conn, actor.user_id).await? {
                        Some(store) => q.filter(
                            conversations::buyer_id
                                .eq(actor.user_id)
                                .or(conversations::seller_id.eq(store.id)),
                        ),
                        None => q.filter(conversations::buyer_id.eq(actor.user_id)),
                    };
                }
                if let Some(after) = page.after {
                    q = q.filter(conversations::id.lt(after));
                }
                if let Some(s) = filter.status {
                    q = q.filter(conversations::status.eq(s.as_str()));
                }
                Ok::<_, CommerceError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |c: &Conversation| c.id))
}

/// Posts a message and touches the conversation's `updated_at`.
///
/// - `user` (the default): the conversation's buyer or seller, as themself.
/// - `assistant`: the conversation's seller, for their AI assistant.
/// - `system`: tenant administrators, with no author.
///
/// Others who can see the conversation (moderators) get 403; others 404.
/// Posting to a closed conversation is 409.
///
/// The body is moderated first: a rejection writes nothing.
pub async fn post_message(
    db: &Db,
    screen: &dyn ContentScreen,
    actor: &Actor,
    conversation_id: Uuid,
    new: NewMessage,
) -> Result<Message, CommerceError> {
    let body = validate::text("body", &new.body, 1, MAX_BODY_CHARS)?;
    let kind = new.author_kind.unwrap_or_default();
    let verdict = screen
        .screen(db, actor, ContentKind::Message, None, body.clone())
        .await?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            // Locked so that a message and a concurrent close take turns.
            let (conversation, standing) = visible(conn, &actor, conversation_id, true).await?;
            let author_id = author_for(standing, &actor, kind)?;
            if conversation.status == ConversationStatus::Closed {
                return Err(CommerceError::conflict("the conversation is closed"));
            }
            let bytes = validate::stored_bytes(&body);
            let id = Uuid::now_v7();
            let moderation = verdict.record(conn, actor.tenant, id, author_id).await?;
            let message: Message = diesel::insert_into(messages::table)
                .values((
                    messages::tenant_id.eq(actor.tenant.as_uuid()),
                    messages::id.eq(id),
                    messages::moderation_status.eq(moderation.as_str()),
                    messages::conversation_id.eq(conversation.id),
                    messages::author_kind.eq(kind.as_str()),
                    messages::author_id.eq(author_id),
                    messages::body.eq(body),
                ))
                .returning(Message::as_returning())
                .get_result(conn)
                .await?;
            diesel::update(conversations::table.filter(conversations::id.eq(conversation.id)))
                .set(conversations::updated_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
            resources::charge(conn, actor.tenant, ResourceDelta::bytes(bytes)).await?;
            Ok(message)
        }
        .scope_boxed()
    })
    .await
}

/// Lists a conversation's messages, newest first: participants and staff.
/// Messages held back by moderation are listed to their author and staff only.
pub async fn list_messages(
    db: &Db,
    actor: &Actor,
    conversation_id: Uuid,
    page: PageRequest,
) -> Result<Page<Message>, CommerceError> {
    let actor = actor.clone();
    let rows = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                visible(conn, &actor, conversation_id, false).await?;
                let mut q = messages::table
                    .filter(messages::conversation_id.eq(conversation_id))
                    .select(Message::as_select())
                    .order(messages::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(messages::id.lt(after));
                }
                if !actor.is_staff() {
                    q = q.filter(
                        messages::moderation_status
                            .eq_any(PUBLIC)
                            .or(messages::author_id.eq(actor.user_id)),
                    );
                }
                Ok::<_, CommerceError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |m: &Message| m.id))
}

/// Closes a conversation: its buyer, its store's seller, or a tenant
/// administrator. Closing a closed conversation changes nothing. Moderators,
/// who may read it, get 403; others 404.
pub async fn close(db: &Db, actor: &Actor, id: Uuid) -> Result<Conversation, CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let (conversation, standing) = visible(conn, &actor, id, true).await?;
            if !standing.participant() && !standing.admin {
                return Err(CommerceError::forbidden(
                    "only the conversation's buyer, its seller or a tenant administrator may close it",
                ));
            }
            if conversation.status == ConversationStatus::Closed {
                return Ok(conversation);
            }
            Ok(diesel::update(conversations::table.filter(conversations::id.eq(id)))
                .set((
                    conversations::status.eq(ConversationStatus::Closed.as_str()),
                    conversations::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Conversation::as_returning())
                .get_result(conn)
                .await?)
        }
        .scope_boxed()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_tenancy::TenantId;

    fn actor(roles: Vec<Role>) -> Actor {
        Actor {
            tenant: TenantId::new(Uuid::nil()),
            user_id: Uuid::now_v7(),
            roles,
        }
    }

    fn conversation(buyer_id: Uuid, seller_id: Uuid) -> Conversation {
        let now = Utc::now();
        Conversation {
            id: Uuid::now_v7(),
            buyer_id,
            seller_id,
            product_id: None,
            subject: String::new(),
            status: ConversationStatus::Open,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn standing_follows_identity_and_roles() {
        let buyer = actor(vec![Role::Buyer]);
        let seller = actor(vec![Role::Seller]);
        let store = Uuid::now_v7();
        let c = conversation(buyer.user_id, store);
        let s = Standing::of(&buyer, &c, None);
        assert!(s.buyer && !s.seller && s.can_see());
        let s = Standing::of(&seller, &c, Some(store));
        assert!(s.seller && !s.buyer && s.can_see());
        let s = Standing::of(&seller, &c, Some(Uuid::now_v7()));
        assert!(!s.can_see());
        let s = Standing::of(&actor(vec![Role::Moderator]), &c, None);
        assert!(s.can_see() && !s.participant() && !s.admin);
    }

    #[test]
    fn who_may_post_what() {
        let buyer = actor(vec![Role::Buyer]);
        let seller = actor(vec![Role::Seller]);
        let admin = actor(vec![Role::TenantAdmin]);
        let moderator = actor(vec![Role::Moderator]);
        let store = Uuid::now_v7();
        let c = conversation(buyer.user_id, store);
        let as_buyer = Standing::of(&buyer, &c, None);
        let as_seller = Standing::of(&seller, &c, Some(store));
        let as_admin = Standing::of(&admin, &c, None);
        let as_moderator = Standing::of(&moderator, &c, None);

        assert_eq!(
            author_for(as_buyer, &buyer, AuthorKind::User).ok(),
            Some(Some(buyer.user_id))
        );
        assert_eq!(
            author_for(as_seller, &seller, AuthorKind::User).ok(),
            Some(Some(seller.user_id))
        );
        assert_eq!(
            author_for(as_seller, &seller, AuthorKind::Assistant).ok(),
            Some(Some(seller.user_id))
        );
        assert!(matches!(
            author_for(as_buyer, &buyer, AuthorKind::Assistant),
            Err(CommerceError::Refused(
                warden_tenancy::Rejection::Forbidden(_)
            ))
        ));
        assert!(matches!(
            author_for(as_seller, &seller, AuthorKind::System),
            Err(CommerceError::Refused(
                warden_tenancy::Rejection::Forbidden(_)
            ))
        ));
        assert_eq!(
            author_for(as_admin, &admin, AuthorKind::System).ok(),
            Some(None)
        );
        assert!(matches!(
            author_for(as_admin, &admin, AuthorKind::User),
            Err(CommerceError::Refused(
                warden_tenancy::Rejection::Forbidden(_)
            ))
        ));
        for kind in [AuthorKind::User, AuthorKind::Assistant, AuthorKind::System] {
            assert!(matches!(
                author_for(as_moderator, &moderator, kind),
                Err(CommerceError::Refused(
                    warden_tenancy::Rejection::Forbidden(_)
                ))
            ));
        }
    }

    #[test]
    fn enums_round_trip_and_inputs_are_strict() {
        for k in [AuthorKind::User, AuthorKind::Assistant, AuthorKind::System] {
            assert_eq!(AuthorKind::try_from(k.as_str().to_owned()).ok(), Some(k));
            assert_eq!(
                serde_json::to_value(k).ok(),
                Some(serde_json::json!(k.as_str()))
            );
        }
        for s in [ConversationStatus::Open, ConversationStatus::Closed] {
            assert_eq!(
                ConversationStatus::try_from(s.as_str().to_owned()).ok(),
                Some(s)
            );
        }
        assert!(AuthorKind::try_from("bot".to_owned()).is_err());
        let m: Result<NewMessage, _> = serde_json::from_value(serde_json::json!({"body": "hi"}));
        assert_eq!(m.ok().and_then(|m| m.author_kind), None);
        let m: Result<NewMessage, _> =
            serde_json::from_value(serde_json::json!({"body": "hi", "author_id": Uuid::nil()}));
        assert!(m.is_err());
        let c: Result<NewConversation, _> =
            serde_json::from_value(serde_json::json!({"seller_id": Uuid::nil()}));
        assert!(c.is_ok());
    }
}
