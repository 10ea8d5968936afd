package contract

// sentryExtra is fixproof's own OpenAPI text for the Sentry endpoints that
// fixproof uses and Sentry's published document (SentrySpec) lacks. It is
// merged into that document; its required lists are checked like the
// document's own.
//
// The issue comments ("notes") endpoints,
//
//	GET  /api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/comments/
//	POST /api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/comments/
//
// are served by Sentry's GroupNotesEndpoint (src/sentry/issues/endpoints/
// group_notes.py in getsentry/sentry), which is published as PRIVATE, hence
// absent from the generated document. What this fragment says rests on
// that code as read in the getsentry/sentry repository, not on published
// API documentation (there is none for these endpoints):
//
//   - GET lists the activities of type note, newest first,
//     paginated by Sentry's usual Link header and cursor query parameter
//     (DateTimePaginator, 100 per page by default); a cursor Sentry cannot
//     read answers 400.
//   - POST takes NoteSerializer's fields: text, a required non-blank
//     string (a Django REST Framework CharField), and optional mentions,
//     which fixproof does not send and this fragment does not describe.
//     It answers 201 with the new activity. Posting the same text again
//     within an hour as the same user answers 400 {"detail": "You have
//     already posted that comment."}.
//   - An activity is ActivitySerializer's output: {id: string, user: the
//     author (an object) or null, type: "note", data: {text: ...},
//     dateCreated: date-time}; newer versions add sentry_app, so other
//     properties are allowed.
//   - The comment webhook documented at docs.sentry.io (integration
//     platform, "Comments") describes the same note from the other side:
//     comment text, comment_id, issue_id, timestamp.
//
// The note detail endpoint,
//
//	PUT    /api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/comments/{note_id}/
//	DELETE /api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/comments/{note_id}/
//
// is GroupNotesDetailsEndpoint (group_notes_details.py), also private:
// PUT takes the same {text} and answers 200 with the updated activity;
// DELETE answers 204. Only the note's author may change it (403 otherwise).
// fixproof uses them to mirror an edited or deleted Jira comment.
//
// Unsure, so left open: the user object's fields (Sentry's user
// serializer; typed only as an object), and the bodies of error responses
// (undocumented, like the rest of Sentry's document; Sentry sends
// {"detail": ...} or a field-to-messages map).
const sentryExtra = `{
  "openapi": "3.0.3",
  "info": {
    "title": "fixproof: Sentry endpoints absent from Sentry's published OpenAPI document",
    "version": "0"
  },
  "paths": {
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/comments/": {
      "parameters": [
        {"in": "path", "name": "organization_id_or_slug", "required": true, "schema": {"type": "string"}},
        {"in": "path", "name": "issue_id", "required": true, "schema": {"type": "string"}}
      ],
      "get": {
        "operationId": "fixproofListIssueNotes",
        "summary": "List an issue's notes (comments), newest first",
        "parameters": [
          {"in": "query", "name": "cursor", "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {
            "description": "The notes; more pages are announced by the Link header.",
            "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/FixproofSentryNote"}}}}
          },
          "400": {"description": "Bad Request (an invalid cursor)"},
          "401": {"description": "Unauthorized"},
          "403": {"description": "Forbidden"},
          "404": {"description": "Not Found"}
        }
      },
      "post": {
        "operationId": "fixproofAddIssueNote",
        "summary": "Add a note (comment) to an issue",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1}}
          }}}
        },
        "responses": {
          "201": {
            "description": "The note created.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FixproofSentryNote"}}}
          },
          "400": {"description": "Bad Request"},
          "401": {"description": "Unauthorized"},
          "403": {"description": "Forbidden"},
          "404": {"description": "Not Found"}
        }
      }
    },
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/comments/{note_id}/": {
      "parameters": [
        {"in": "path", "name": "organization_id_or_slug", "required": true, "schema": {"type": "string"}},
        {"in": "path", "name": "issue_id", "required": true, "schema": {"type": "string"}},
        {"in": "path", "name": "note_id", "required": true, "schema": {"type": "string"}}
      ],
      "put": {
        "operationId": "fixproofUpdateIssueNote",
        "summary": "Change a note's text",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1}}
          }}}
        },
        "responses": {
          "200": {
            "description": "The note, updated.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FixproofSentryNote"}}}
          },
          "400": {"description": "Bad Request"},
          "401": {"description": "Unauthorized"},
          "403": {"description": "Forbidden (not the note's author)"},
          "404": {"description": "Not Found"}
        }
      },
      "delete": {
        "operationId": "fixproofDeleteIssueNote",
        "summary": "Delete a note",
        "responses": {
          "204": {"description": "Deleted."},
          "401": {"description": "Unauthorized"},
          "403": {"description": "Forbidden (not the note's author)"},
          "404": {"description": "Not Found"}
        }
      }
    }
  },
  "components": {
    "schemas": {
      "FixproofSentryNote": {
        "type": "object",
        "required": ["id", "type", "data", "dateCreated"],
        "properties": {
          "id": {"type": "string"},
          "type": {"type": "string", "enum": ["note"]},
          "data": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string"}}
          },
          "user": {"type": "object", "nullable": true},
          "dateCreated": {"type": "string", "format": "date-time"}
        }
      }
    }
  }
}`
