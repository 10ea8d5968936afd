// Package release holds tests of the repository's release and CI files:
// the GitHub workflows, .ci/run, action.yml, the Dockerfile and the
// examples under examples/ (workflows that use the action, and the bot's
// deployment manifests). It has no code of its own.
package release
