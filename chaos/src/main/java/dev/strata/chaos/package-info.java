/**
 * The kill -9 chaos harness ({@code strata-chaos}): launches real member processes, drives load through
 * real clients, kills members at random and verifies no acknowledged write is lost. Arrives with the
 * chaos-gate issue; the module exists now so the reactor layout is final.
 */
package dev.strata.chaos;
