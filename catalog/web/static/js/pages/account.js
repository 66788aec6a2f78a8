// Sign in, and the forced password change of a new or reset account.
import { currentUser, remember, request, signIn } from "../api.js";
import { errorBox, h, show } from "../ui.js";

export async function render(hash) {
  return hash === "#/password" ? password() : login();
}

function login() {
  const status = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card", novalidate: true },
    h("h1", {}, "登录匠云"),
    h("p", { class: "muted" }, "用单位发给你的账号登录（工号或用户名）。"),
    h("label", { for: "username" }, "账号"),
    h("input", { id: "username", name: "username", autocomplete: "username", required: true, autocapitalize: "off" }),
    h("label", { for: "password" }, "密码"),
    h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true }),
    status,
    h("button", { type: "submit", class: "block" }, "登录"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.replaceChildren();
    try {
      const user = await signIn(form.username.value.trim(), form.password.value);
      location.hash = user.must_change_password ? "#/password" : "#/home";
    } catch (error) {
      status.replaceChildren(errorBox(error.status === 401 ? { message: "账号或密码不对，请再试一次" } : error));
    } finally {
      button.disabled = false;
    }
  });
  show("login", form);
}

function password() {
  const forced = currentUser()?.must_change_password;
  const status = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card" },
    h("h1", {}, forced ? "请先设置新密码" : "修改密码"),
    forced ? h("p", { class: "muted" }, "这是新账号或刚重置的密码，设置自己的密码后才能继续。") : null,
    h("label", { for: "current" }, "当前密码"),
    h("input", { id: "current", type: "password", autocomplete: "current-password", required: true }),
    h("label", { for: "next" }, "新密码（至少 8 位）"),
    h("input", { id: "next", type: "password", autocomplete: "new-password", minlength: 8, required: true }),
    h("label", { for: "again" }, "再输一次新密码"),
    h("input", { id: "again", type: "password", autocomplete: "new-password", minlength: 8, required: true }),
    status,
    h("button", { type: "submit", class: "block" }, "保存新密码"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [current, next, again] = ["current", "next", "again"].map((id) => form.querySelector(`#${id}`).value);
    if (next !== again) return void status.replaceChildren(errorBox({ message: "两次输入的新密码不一致" }));
    try {
      const user = await request("POST", "/me/password", { current_password: current, new_password: next });
      remember(user);
      location.hash = "#/home";
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  });
  show("password", form);
}
