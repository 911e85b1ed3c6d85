//! Conversations between buyers and sellers, and their messages.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use warden_commerce::conversations::{
    self, Conversation, ConversationFilter, ConversationStatus, Message, NewConversation,
    NewMessage,
};
use warden_tenancy::Page;

use super::PageQuery;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::commerce::ModeratorScreen;

/// Registers the conversation routes.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(create_conversation)
        .service(list_conversations)
        .service(get_conversation)
        .service(close_conversation)
        .service(post_message)
        .service(list_messages);
}

/// Filters of `GET /conversations`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    /// `open` or `closed`.
    pub status: Option<ConversationStatus>,
}

/// Starts a conversation with a store (buyers), optionally about a product and with a first message.
#[utoipa::path(tag = "conversations", request_body = NewConversation, responses((status = 201, body = Conversation)))]
#[post("/conversations")]
pub async fn create_conversation(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewConversation>,
) -> Result<HttpResponse, ApiError> {
    let conversation = conversations::create(
        &state.db,
        &ModeratorScreen::of(&state),
        &caller.actor,
        body.into_inner(),
    )
    .await?;
    Ok(created(
        conversation.id,
        HttpResponse::Created().json(conversation),
    ))
}

/// Lists the caller's conversations (all for staff), newest first.
#[utoipa::path(tag = "conversations", params(PageQuery, ConversationQuery), responses((status = 200, body = Page<Conversation>)))]
#[get("/conversations")]
pub async fn list_conversations(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<ConversationQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = ConversationFilter { status: q.status };
    Ok(HttpResponse::Ok()
        .json(conversations::list(&state.db, &caller.actor, filter, page.page()?).await?))
}

/// Reads a conversation (participants and staff).
#[utoipa::path(tag = "conversations", params(("id" = Uuid, Path, description = "Conversation id")), responses((status = 200, body = Conversation)))]
#[get("/conversations/{id}")]
pub async fn get_conversation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(conversations::get(&state.db, &caller.actor, *id).await?))
}

/// Closes a conversation (participants and tenant administrators); closed conversations take no messages.
#[utoipa::path(tag = "conversations", params(("id" = Uuid, Path, description = "Conversation id")), responses((status = 200, body = Conversation)))]
#[post("/conversations/{id}/close")]
pub async fn close_conversation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(conversations::close(&state.db, &caller.actor, *id).await?))
}

/// Posts a message. `user` turns by participants, `assistant` turns by the
/// seller's AI assistant (seller participant), `system` turns by tenant administrators.
#[utoipa::path(tag = "conversations", params(("id" = Uuid, Path, description = "Conversation id")), request_body = NewMessage, responses((status = 201, body = Message)))]
#[post("/conversations/{id}/messages")]
pub async fn post_message(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<NewMessage>,
) -> Result<HttpResponse, ApiError> {
    let message = conversations::post_message(
        &state.db,
        &ModeratorScreen::of(&state),
        &caller.actor,
        *id,
        body.into_inner(),
    )
    .await?;
    Ok(created(message.id, HttpResponse::Created().json(message)))
}

/// Lists a conversation's messages, newest first (participants and staff).
#[utoipa::path(tag = "conversations", params(("id" = Uuid, Path, description = "Conversation id"), PageQuery), responses((status = 200, body = Page<Message>)))]
#[get("/conversations/{id}/messages")]
pub async fn list_messages(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(conversations::list_messages(&state.db, &caller.actor, *id, page.page()?).await?))
}
