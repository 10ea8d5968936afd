// Package release holds tests of the repository's release files: the
// GitHub workflows, action.yml, the Dockerfile and the examples under
// examples/ (workflows that use the action, and the bot's deployment
// manifests). It has no code of its own.
package release
