package githubsim

import (
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// SDL is the subset of GitHub's GraphQL schema the simulator serves,
// written by hand. Every type, field and argument carries the name and
// type (nullability included) it has in GitHub's public schema; a test
// checks that against the schema in the shared contracts when present.
const SDL = `# The subset of GitHub's GraphQL API that githubsim serves.

scalar DateTime
scalar GitObjectID
scalar URI

enum PullRequestState {
  CLOSED
  MERGED
  OPEN
}

enum DeploymentStatusState {
  ERROR
  FAILURE
  INACTIVE
  IN_PROGRESS
  PENDING
  QUEUED
  SUCCESS
  WAITING
}

enum DeploymentOrderField {
  CREATED_AT
}

enum OrderDirection {
  ASC
  DESC
}

input DeploymentOrder {
  direction: OrderDirection!
  field: DeploymentOrderField!
}

type Query {
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

interface RepositoryOwner {
  id: ID!
  login: String!
  url: URI!
}

interface Actor {
  login: String!
  url: URI!
}

type User implements Actor & RepositoryOwner {
  id: ID!
  login: String!
  url: URI!
}

type Organization implements Actor & RepositoryOwner {
  id: ID!
  login: String!
  url: URI!
}

type Bot implements Actor {
  id: ID!
  login: String!
  url: URI!
}

type Repository {
  id: ID!
  name: String!
  nameWithOwner: String!
  url: URI!
  owner: RepositoryOwner!
  pullRequest(number: Int!): PullRequest
  deployments(
    after: String
    before: String
    environments: [String!]
    first: Int
    last: Int
    orderBy: DeploymentOrder = {field: CREATED_AT, direction: ASC}
  ): DeploymentConnection!
}

type DeploymentConnection {
  totalCount: Int!
  pageInfo: PageInfo!
  nodes: [Deployment]
  edges: [DeploymentEdge]
}

type DeploymentEdge {
  cursor: String!
  node: Deployment
}

type Deployment {
  id: ID!
  databaseId: Int
  createdAt: DateTime!
  environment: String
  commitOid: String!
  commit: Commit
  latestStatus: DeploymentStatus
  statuses(after: String, before: String, first: Int, last: Int): DeploymentStatusConnection
}

type DeploymentStatusConnection {
  totalCount: Int!
  pageInfo: PageInfo!
  nodes: [DeploymentStatus]
}

type DeploymentStatus {
  id: ID!
  state: DeploymentStatusState!
  createdAt: DateTime!
  description: String
  environmentUrl: URI
  logUrl: URI
}

type PullRequest {
  id: ID!
  number: Int!
  title: String!
  body: String!
  url: URI!
  headRefName: String!
  baseRefName: String!
  state: PullRequestState!
  isDraft: Boolean!
  merged: Boolean!
  createdAt: DateTime!
  mergedAt: DateTime
  author: Actor
  mergeCommit: Commit
  commits(after: String, before: String, first: Int, last: Int): PullRequestCommitConnection!
}

type PullRequestCommitConnection {
  totalCount: Int!
  pageInfo: PageInfo!
  nodes: [PullRequestCommit]
  edges: [PullRequestCommitEdge]
}

type PullRequestCommitEdge {
  cursor: String!
  node: PullRequestCommit
}

type PullRequestCommit {
  id: ID!
  url: URI!
  commit: Commit!
}

type Commit {
  id: ID!
  oid: GitObjectID!
  message: String!
  messageHeadline: String!
  messageBody: String!
  committedDate: DateTime!
  url: URI!
  parents(after: String, before: String, first: Int, last: Int): CommitConnection!
}

type CommitConnection {
  totalCount: Int!
  pageInfo: PageInfo!
  nodes: [Commit]
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}
`

var (
	schemaOnce sync.Once
	schemaAST  *ast.Schema
	schemaErr  error
)

// loadSchema parses and validates SDL once; the schema is read-only
// afterwards and shared by every server.
func loadSchema() (*ast.Schema, error) {
	schemaOnce.Do(func() {
		schemaAST, schemaErr = gqlparser.LoadSchema(&ast.Source{Name: "githubsim.graphql", Input: SDL})
	})
	return schemaAST, schemaErr
}
