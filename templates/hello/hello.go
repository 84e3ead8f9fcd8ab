// ---
// jupyter:
//   jupytext:
//     text_representation:
//       extension: .go
//       format_name: percent
//       format_version: "1.3"
//   kernelspec:
//     display_name: Go (ocs)
//     language: go
//     name: ocs-go
//   language_info:
//     codemirror_mode: go
//     file_extension: .go
//     mimetype: text/x-go
//     name: go
//     pygments_lexer: go
//     version: "1.26"
// ---

//go:build ignore

// %% [markdown] id="5d1f0c2a-hello-readme"
// # Hello
//
// The smallest ocs template: it greets someone, so that a fresh install can check that templates run.
//
// ## Parameters
//
// `name` says who is greeted.

// %% tags=["parameters"] id="8a3e41b7-hello-params"
name := "world" // who to greet

// %% [markdown] id="c94b6e02-hello-greet"
// ## Greet

// %% id="f07d2c19-hello-print"
import "fmt"

fmt.Println("hello,", name)
