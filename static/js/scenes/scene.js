/**
 * A screen's life: `show(root)`, maybe `update(route)` when only the query changed, then `hide()`. After
 * `hide()` late replies are dropped and polling stops, so nothing leaks into the next screen.
 */

import { fill, showError } from "../ui/notices.js";

export class Scene {
	/** @param {import("../router.js").Route} route @param {Record<string, string>} match  the `:name` parts of the path */
	constructor(route, match) {
		this.route = route;
		this.match = match;
		this.active = true;
		/** @type {Set<number>} */
		this.timers = new Set();
	}

	/** Render into `root`, an empty `<main>`. @param {HTMLElement} root */
	show(root) {
		this.root = root;
	}

	/**
	 * The same screen with another query part. True when handled in place; false makes the
	 * router build the screen again.
	 * @param {import("../router.js").Route} route
	 */
	update(route) {
		this.route = route;
		return false;
	}

	hide() {
		this.active = false;
		this.stopPolling();
	}

	setTitle(text) {
		if (this.active) document.title = `${text} · FaceForge`;
	}

	/**
	 * Fill `target` with what `load()` builds (or an error block), unless the scene is gone.
	 * @param {HTMLElement} target @param {string} doing @param {() => Promise<import("../ui/dom.js").Child>} load
	 */
	fill(target, doing, load) {
		return fill(target, doing, load, () => this.active);
	}

	/**
	 * Run `task` now and again `interval` ms after each run, while the scene lives and `task` returns true. An
	 * error is shown and stops the polling.
	 * @param {() => Promise<boolean>} task @param {number} interval
	 */
	poll(task, interval) {
		const run = async () => {
			let again = false;
			try {
				again = this.active && (await task());
			} catch (error) {
				if (this.active) showError(error, "Refreshing");
			}
			if (!again || !this.active) return;
			const timer = window.setTimeout(() => {
				this.timers.delete(timer);
				run();
			}, interval);
			this.timers.add(timer);
		};
		run();
	}

	stopPolling() {
		this.timers.forEach((timer) => clearTimeout(timer));
		this.timers.clear();
	}
}
