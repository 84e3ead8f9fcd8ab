// ---
// jupyter:
//   count: 3
//   empty: {}
//   flag: true
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
//   lc_notebook_meme:
//     current: n-1
//   note: "123"
//   ratio: 1.5
// ---

//go:build ignore

// %% [markdown] lc_cell_meme={"current": "m-1", "next": null} id="intro"
// # ノードの構築
//
// A Go template with every kind of cell.
//
// - tags
// - magics

// %% tags=["parameters"] id="params"
ugroup_name := "moodle" // unit group
nodes := 2                // how many

// %% id="ssh"
%%ssh web
hostname
uname -a

// %% {"collapsed": false, "vcp:skip": true} id="shell"
!echo hello
%env GREETING=hi
fmt.Println("done")


// %% [raw] format="text/plain" id="raw-1"
// raw text
//
//   indented

// %% id="empty"
