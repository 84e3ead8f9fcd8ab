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
// ---

//go:build ignore

// %% [markdown]
// # Hello by hand

// %% tags=["parameters"]
name := "world" // who

// %%
import "fmt"

fmt.Println("hello,", name)
