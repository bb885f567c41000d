// The demo page: sends the review to POST /api/predict and shows each model's answer
// and the review as the models read it. Text from the review or the server is only
// ever set as text, never as HTML.
"use strict";

const TEXT = {
  en: {
    title: "Try the models on your own review",
    intro: "Every model trained in this folder reads the review; each gives the probability that it is positive.",
    reviewLabel: "Your review, in English",
    examples: "Examples:",
    examplePraise: "praise",
    exampleComplaint: "complaint",
    exampleNegation: '"not bad"',
    exampleRare: "rare words",
    classify: "Classify",
    classifying: "Classifying…",
    readingTitle: "The review as the models read it",
    readingTitleOf: "The review as {models} read it",
    legendKnown: "known word",
    legendUnknown: 'outside the kept words: read as "unknown"',
    legendCut: "cut off: only the last words are read",
    share: "Link to this review",
    footer: "Served by make demo from the models on this machine; nothing is loaded from elsewhere.",
    testAccuracy: "test accuracy {accuracy}",
    noAccuracy: "no results file",
    unavailable: "unavailable: {reason}",
    positive: "positive",
    negative: "negative",
    noModels: "No trained models in {output}/ yet. Train them with {runAll}, or one with {one}, then start make demo again.",
    summary: "{words} words: {known} known, {unknown} unknown (of the {kept} kept words), {cut} cut off (the model reads the last {maxlen}).",
    cutHidden: "… {count} more words cut off before these …",
    knownTitle: "word number {index} of the vocabulary",
    unknownTitle: 'read as "unknown"',
    cutTitle: "cut off, not read",
    noServer: "The server did not answer: is make demo still running?",
    tooLongToShare: "(too long to share as a link)",
  },
  zh: {
    title: "用你自己的影评试试这些模型",
    intro: "这个文件夹里训练好的每个模型都会读这条影评，并给出它是正面评价的概率。",
    reviewLabel: "你的影评（英文）",
    examples: "示例：",
    examplePraise: "好评",
    exampleComplaint: "差评",
    exampleNegation: "“not bad”",
    exampleRare: "生僻词",
    classify: "分类",
    classifying: "分类中…",
    readingTitle: "模型读到的影评",
    readingTitleOf: "{models} 读到的影评",
    legendKnown: "已知词",
    legendUnknown: "不在保留的词表中：读作“未知”",
    legendCut: "被截断：只读最后的词",
    share: "这条影评的链接",
    footer: "由 make demo 用本机上的模型提供；不从其他地方加载任何内容。",
    testAccuracy: "测试准确率 {accuracy}",
    noAccuracy: "没有结果文件",
    unavailable: "不可用：{reason}",
    positive: "正面",
    negative: "负面",
    noModels: "{output}/ 中还没有训练好的模型。请运行 {runAll} 训练全部模型，或运行 {one} 训练一个，然后重新启动 make demo。",
    summary: "共 {words} 个词：{known} 个已知，{unknown} 个未知（词表保留 {kept} 个词），{cut} 个被截断（模型只读最后 {maxlen} 个）。",
    cutHidden: "……此前还有 {count} 个被截断的词……",
    knownTitle: "词表中的第 {index} 号词",
    unknownTitle: "读作“未知”",
    cutTitle: "被截断，未读",
    noServer: "服务器没有响应：make demo 还在运行吗？",
    tooLongToShare: "（太长，无法作为链接分享）",
  },
};
const LANGUAGE_KEY = "imdb-lstm-demo-language";
const MAX_SHARED_URL = 8000; // longer addresses may exceed what a server reads in a request line

let language = chooseLanguage();
let models = null; // GET /api/models
let lastAnswer = null;

function chooseLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  const saved = localStorage.getItem(LANGUAGE_KEY);
  const browser = (navigator.languages || [navigator.language]).find((l) => /^(zh|en)/i.test(l));
  const choice = asked || saved || browser || "en";
  return choice.toLowerCase().startsWith("zh") ? "zh" : "en";
}

function t(key, values = {}) {
  return TEXT[language][key].replace(/\{(\w+)\}/g, (_, name) => values[name]);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function applyLanguage() {
  document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
  document.title = "imdb-lstm: " + t("title");
  for (const node of document.querySelectorAll("[data-text]")) {
    node.textContent = t(node.dataset.text);
  }
  const other = language === "zh" ? ["English", "en"] : ["中文", "zh-CN"];
  const button = document.getElementById("language");
  button.textContent = other[0];
  button.lang = other[1];
  renderModels();
  if (lastAnswer) renderReadings(lastAnswer);
}

function percent(fraction) {
  return (fraction * 100).toFixed(2) + "%";
}

function renderModels() {
  const section = document.getElementById("models");
  section.replaceChildren();
  if (!models) return;
  const available = models.models.filter((m) => m.available);
  if (available.length === 0) {
    const [runAll, one] = models.train_commands;
    section.append(element("p", "no-models", t("noModels", { output: models.output, runAll, one })));
  }
  for (const model of models.models) section.append(modelCard(model));
}

function modelCard(model) {
  const card = element("div", "model");
  card.dataset.model = model.name;
  card.append(element("div", "name", model.name));
  if (!model.available) {
    card.classList.add("unavailable");
    card.append(element("div", "reason", t("unavailable", { reason: model.error })));
    return card;
  }
  const accuracy = model.test_accuracy;
  card.append(element("div", "accuracy",
    accuracy === null ? t("noAccuracy") : t("testAccuracy", { accuracy: percent(accuracy) })));
  const answer = lastAnswer && lastAnswer.models[model.name];
  const bar = element("div", "bar");
  const fill = element("div", "fill");
  bar.append(fill);
  const line = element("div", "answer");
  const probability = element("span", "probability", "–");
  const label = element("span", "label");
  if (answer) {
    fill.style.width = percent(answer.probability_positive);
    probability.textContent = answer.probability_positive.toFixed(3);
    probability.dataset.probability = String(answer.probability_positive);
    label.textContent = t(answer.label);
    label.classList.add(answer.label);
    label.dataset.label = answer.label;
  }
  line.append(probability, label);
  card.append(bar, line);
  return card;
}

function renderReadings(answer) {
  const list = document.getElementById("reading-list");
  list.replaceChildren();
  const several = answer.readings.length > 1;
  for (const reading of answer.readings) {
    const block = element("div", "reading");
    if (several) block.append(element("h3", "", t("readingTitleOf", { models: reading.models.join(", ") })));
    const first = answer.models[reading.models[0]];
    const model = models.models.find((m) => m.name === reading.models[0]);
    block.append(element("p", "reading-summary", t("summary", {
      words: first.words,
      known: first.known_words,
      unknown: first.words - first.known_words,
      kept: model.num_words.toLocaleString(),
      cut: reading.cut,
      maxlen: model.maxlen,
    })));
    const words = element("p", "words");
    const hidden = reading.cut - reading.words.filter((w) => w.mark === "cut").length;
    if (hidden > 0) words.append(element("span", "cut-hidden", t("cutHidden", { count: hidden })), " ");
    for (const word of reading.words) {
      const span = element("span", "word " + word.mark, word.word);
      span.title = t(word.mark + "Title", { index: word.index });
      words.append(span, " ");
    }
    block.append(words);
    list.append(block);
  }
  document.getElementById("readings").hidden = false;
}

function showError(message) {
  const line = document.getElementById("error");
  line.textContent = message || "";
  line.hidden = !message;
}

function share(review) {
  const url = "/?review=" + encodeURIComponent(review) + (language === "zh" ? "&lang=zh" : "");
  const paragraph = document.getElementById("share");
  const link = document.getElementById("share-link");
  paragraph.hidden = false;
  if (url.length > MAX_SHARED_URL) {
    link.removeAttribute("href");
    link.textContent = t("tooLongToShare");
    return;
  }
  link.href = url;
  link.textContent = t("share");
  history.replaceState(null, "", url);
}

async function classify(review) {
  const button = document.getElementById("classify");
  button.disabled = true;
  button.textContent = t("classifying");
  try {
    const response = await fetch("/api/predict", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ review }),
    });
    const body = await response.json();
    if (!response.ok) {
      showError(body.error);
      return;
    }
    showError("");
    lastAnswer = body;
    renderModels();
    renderReadings(body);
    share(review);
    document.body.dataset.classified = review; // for the browser test: this review's answer is shown
  } catch (error) {
    showError(t("noServer"));
  } finally {
    button.disabled = false;
    button.textContent = t("classify");
  }
}

async function start() {
  const textarea = document.getElementById("review");
  document.getElementById("form").addEventListener("submit", (event) => {
    event.preventDefault();
    classify(textarea.value);
  });
  for (const example of document.querySelectorAll(".example")) {
    example.addEventListener("click", () => {
      textarea.value = example.dataset.review;
      classify(textarea.value);
    });
  }
  document.getElementById("language").addEventListener("click", () => {
    language = language === "zh" ? "en" : "zh";
    localStorage.setItem(LANGUAGE_KEY, language);
    applyLanguage();
  });
  applyLanguage();
  try {
    models = await (await fetch("/api/models")).json();
  } catch (error) {
    showError(t("noServer"));
    return;
  }
  renderModels();
  const review = new URLSearchParams(location.search).get("review");
  if (review) {
    textarea.value = review;
    await classify(review);
  }
  document.body.dataset.ready = "true"; // for the browser test: the page has settled
}

start();
