// Package zendesk serves Zendesk Talk's IVR routes API (the seed) on
// ivrd's IVRs: a Zendesk IVR is an ivrd IVR a number reaches, its menus
// are that IVR and the IVRs its keys lead to, a route is one key. It
// owns Zendesk's JSON (typed requests and answers), their translation to
// and from ivrd destinations, the routes' stable ids (kept in the menu's
// key_info), and Zendesk's error shape. It writes through edit.Update.
//
// The api package mounts it and authenticates its requests. zendesk
// must not import api, sip, media or call.
package zendesk
