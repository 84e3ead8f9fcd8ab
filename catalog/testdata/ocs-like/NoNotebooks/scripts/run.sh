#!/bin/sh
echo no notebooks here
