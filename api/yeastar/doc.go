// Package yeastar serves Yeastar S-Series' IVR API (the seed's "Query One
// or More IVRs" and "Configure an Individual IVR") on ivrd's IVRs: each
// number that reaches an ivrd IVR is a Yeastar IVR. It owns Yeastar's
// JSON (typed requests and answers, all values strings as Yeastar sends
// them), the translation to and from ivrd's IVR, and Yeastar's answers:
// HTTP 200 with "status" Success or Failed and a string "errno" from
// Yeastar's own code table. It writes through edit.Update.
//
// The api package mounts it and authenticates its requests (the token
// comes in ?token=). yeastar must not import api, sip, media or call.
package yeastar
