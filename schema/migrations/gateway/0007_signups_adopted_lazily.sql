CREATE TABLE `signups` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`email` text,
	`name` text,
	`created_at` integer NOT NULL,
	`adopted_at` integer
);
