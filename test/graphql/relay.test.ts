// Relay conformance: every object with an ID implements Node and node() refetches it for whoever
// may see it; every connection has pageInfo; first with last follows the Relay algorithm.
import { isObjectType, parse, type GraphQLObjectType } from "graphql";
import { describe, expect } from "vitest";
import { signSessionToken } from "../../src/auth/session-token.js";
import { schema } from "../../src/graphql/schema/index.js";
import { insertPriceList } from "../../src/seed/price-list.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, TEST_JWT_SECRET } from "../helpers/gateway.js";

const test = gatewayTest();
const objects = () => Object.values(schema.getTypeMap()).filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith("__"));

describe("Relay", () => {
  test("every object type with an ID field implements Node, and every connection has pageInfo", () => {
    const idNotNode = objects().filter((type) => `${type.getFields().id?.type}` === "ID!" && !type.getInterfaces().some((i) => i.name === "Node"));
    expect(idNotNode.map((type) => type.name)).toEqual([]);
    const connections = objects().filter((type) => type.name.endsWith("Connection"));
    expect(connections.length).toBeGreaterThan(5);
    expect(connections.filter((type) => `${type.getFields().pageInfo?.type}` !== "PageInfo!").map((type) => type.name)).toEqual([]);
  });

  test("refetches a SKU, and a user only by themselves", async ({ gateway, db, clock, tenants: { acme, globex } }) => {
    await db.withSession((session) => insertPriceList(session));
    const skuId = Buffer.from("Sku:storage-gb-hours").toString("base64");
    const sku = await gateway.graphql<{ node: { id: string; skuId: string; unit: string } }, object>(
      parse(`query ($id: ID!) { node(id: $id) { id ... on Sku { skuId unit } } }`), { id: skuId }, bearer(acme.keys.read),
    );
    expect(sku.data?.node).toMatchObject({ id: skuId, skuId: "storage-gb-hours" });

    const viewerUser = parse(`{ viewer { user { id email } } }`);
    const userNode = parse(`query ($id: ID!) { node(id: $id) { id ... on User { email } } }`);
    const session = async (userId: string) => ({ ...bearer(await signSessionToken(TEST_JWT_SECRET, userId, clock.now())), "x-workspace-id": acme.workspaceId });
    const acmeUser = (await gateway.graphql<{ viewer: { user: { id: string; email: string } } }, object>(viewerUser, {}, await session(acme.userId))).data!.viewer.user;
    const self = await gateway.graphql(userNode, { id: acmeUser.id }, await session(acme.userId));
    expect(self.data).toEqual({ node: acmeUser });
    // Another user, or a key, does not see that person.
    expect((await gateway.graphql(userNode, { id: acmeUser.id }, await session(globex.userId))).data).toEqual({ node: null });
    expect((await gateway.graphql(userNode, { id: acmeUser.id }, bearer(acme.keys.admin))).data).toEqual({ node: null });
  });

  test("first with last takes the first N, then the last M of those", async ({ gateway, tenants: { acme } }) => {
    const page = (args: string) =>
      gateway.graphql<{ workspace: { creditTransactions: { edges: { node: { id: string } }[]; pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean } } } }, object>(
        parse(`{ workspace { creditTransactions(${args}) { edges { node { id } } pageInfo { hasPreviousPage hasNextPage } } } }`), {}, bearer(acme.keys.read),
      );
    for (let i = 0; i < 6; i++) {
      const grant = await gateway.graphql(parse(`mutation { grantCredits(input: { credits: "1" }) { __typename } }`), {}, bearer(acme.keys.admin));
      expect(grant.errors).toBeUndefined();
    }
    const five = (await page("first: 5")).data!.workspace.creditTransactions;
    expect(five.edges).toHaveLength(5);
    const both = (await page("first: 5, last: 2")).data!.workspace.creditTransactions;
    expect(both.edges).toEqual(five.edges.slice(-2));
    expect(both.pageInfo).toEqual({ hasPreviousPage: true, hasNextPage: true });
  });
});
