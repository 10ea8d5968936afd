// Package jiramarkup is Jira's rich text in both directions: a Doc is
// rendered to write to Jira (RenderADF for Cloud, RenderWiki for Data
// Center), and Text and WikiText read what Jira holds back as markdown.
package jiramarkup
