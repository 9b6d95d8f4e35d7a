/**
 * A list that grows page by page (keyset `cursor` when offered, else `offset`): pages are appended, the next
 * loads when the footer scrolls into view, and "Load more" does the same by keyboard or after an error.
 */

import { h } from "./dom.js";
import { showError } from "./notices.js";

/** @template T @typedef {import("../api/v1.js").Page<T>} Page */

/** @template T */
export class PagedList {
	/**
	 * @param {{fetchPage: (paging: {limit: number, cursor?: string, offset?: number}) => Promise<Page<T>>, onItems: (items: T[], first: boolean) => void, noun: string, pageSize?: number}} options `onItems` gets each page; `first` means "replace what is shown".
	 */
	constructor(options) {
		this.options = options;
		this.generation = 0;
		this.loaded = 0;
		this.busy = false;
		this.failed = false;
		/** @type {{cursor?: string, offset?: number} | null} */
		this.next = null;
		this.status = h("span", { role: "status" });
		this.button = h("button", { type: "button", text: "Load more", hidden: true, on: { click: () => ((this.failed = false), this.loadMore()) } });
		this.element = h("div.list-footer", this.status, this.button);
		this.observer = new IntersectionObserver((entries) => entries.some((entry) => entry.isIntersecting) && !this.failed && this.loadMore());
		this.observer.observe(this.button);
	}

	/** Start again from the first page (new search, filter or sort). */
	reset() {
		this.generation += 1;
		Object.assign(this, { loaded: 0, busy: false, failed: false, next: {} });
		this.loadMore();
	}

	async loadMore() {
		if (this.busy || this.next === null) return;
		const generation = this.generation;
		this.busy = true;
		this.status.textContent = "Loading…";
		/** @type {Page<T>} */ let page;
		try {
			page = await this.options.fetchPage({ limit: this.options.pageSize ?? 50, ...this.next });
		} catch (error) {
			if (generation !== this.generation) return;
			Object.assign(this, { busy: false, failed: true });
			this.status.textContent = "";
			this.button.hidden = false;
			return showError(error, `Loading the ${this.options.noun}`);
		}
		if (generation !== this.generation) return;
		const first = this.loaded === 0;
		this.busy = false;
		this.loaded += page.items.length;
		if ("next_cursor" in page) this.next = page.next_cursor ? { cursor: page.next_cursor } : null;
		else {
			const offset = (page.offset ?? 0) + page.items.length;
			this.next = page.items.length && offset < (page.total ?? 0) ? { offset } : null;
		}
		this.options.onItems(page.items, first);
		this.status.textContent = this.loaded ? `Showing ${this.loaded} of ${page.total ?? this.loaded} ${this.options.noun}` : "";
		this.button.hidden = this.next === null;
		if (this.next && this.button.isConnected && this.button.getBoundingClientRect().top < innerHeight) this.loadMore();
	}

	/** Stop for good (the screen is gone). */
	stop() {
		this.generation += 1;
		this.observer.disconnect();
	}
}
