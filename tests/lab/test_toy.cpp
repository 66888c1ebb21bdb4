// The toy model's pieces: Fashion-MNIST scenes, the localisation benchmark, and training
// (a few steps).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/error.h"
#include "engine/engine.h"
#include "engine/model_files.h"
#include "explain/classic_explainers.h"
#include "lab/fashion_mnist.h"
#include "lab/localization_benchmark.h"
#include "lab/perturbation_benchmark.h"
#include "lab/random_init.h"
#include "lab/toy_scenes.h"
#include "lab/toy_training.h"
#include "model/clip_model.h"
#include "model/transformer.h"
#include "model/weight_source.h"
#include "support.h"
#include "text/tokenizer.h"
#include "text/word_tokenizer.h"
#include "video/preprocess.h"

namespace legrad {
namespace {

TEST(Scenes, DeterministicWithMasksThatMatchTheItems) {
  REQUIRE_FASHION_MNIST();
  const SceneGenerator gen(FashionMnist::load(kFashionMnistDir, false), SceneOptions(), 5);
  const Scene a = gen.scene(3), b = gen.scene(3), c = gen.scene(4);
  EXPECT_TRUE(a.image.equal(b.image));
  EXPECT_FALSE(a.image.equal(c.image));
  for (uint64_t i = 0; i < 30; ++i) {
    const Scene s = gen.scene(i);
    ASSERT_EQ(s.image.sizes(), (std::vector<int64_t>{64, 64, 3}));
    ASSERT_GE(s.items.size(), 1u);
    ASSERT_LE(s.items.size(), 3u);
    std::set<int> labels;
    at::Tensor covered = at::zeros({64, 64}, at::kInt);
    for (const SceneItem& item : s.items) {
      labels.insert(item.label);
      EXPECT_TRUE(s.contains(item.label));
      covered += item.mask.to(at::kInt);
    }
    EXPECT_EQ(labels.size(), s.items.size());                  // distinct classes
    EXPECT_LE(covered.max().item<int>(), 1);                   // occlusion: masks do not overlap
    EXPECT_GT(s.items.back().mask.sum().item<int64_t>(), 30);  // the top item is visible
  }
  // Photographs of dark clothes are brightened: an unoccluded item covers a fair part of its
  // box (sandals, all straps, are the sparsest at about 15%), where it used to show only its
  // bright edges.
  for (uint64_t i = 0; i < 200; ++i) {
    const Scene s = gen.scene(i);
    const SceneItem& top = s.items.back();
    EXPECT_GE(top.mask.sum().item<double>() / (top.box[2] * top.box[3]), 0.12)
        << "scene " << i << ", " << kFashionClasses[top.label];
  }
  EXPECT_THROW(
      SceneGenerator(FashionMnist::load(kFashionMnistDir, false), SceneOptions::for_size(8), 1),
      Error);
  EXPECT_THROW(FashionMnist::load("/nonexistent", false), Error);
}

TEST(ToyModel, TrainsSavesAndLoadsAsAnOpenClipModel) {
  REQUIRE_FASHION_MNIST();
  ToyRecipe recipe;
  recipe.steps = 3;
  recipe.batch = 2;
  recipe.warmup_steps = 1;
  int reports = 0;
  const FashionMnist data = FashionMnist::load(kFashionMnistDir, false);
  const ToyModel model = train_toy_model(data, recipe, [&](const TrainingProgress&) { ++reports; });
  EXPECT_EQ(reports, 1);
  EXPECT_TRUE(std::isfinite(model.final_loss));
  const ToyModel again = train_toy_model(data, recipe);
  EXPECT_TRUE(model.weights[0].second.equal(again.weights[0].second));  // deterministic
  test::TempDir dir;
  save_toy_model(model, dir.path(), "{}\n");
  const LegradEngine engine(ModelRequest{dir.path()});
  EXPECT_EQ(engine.input_size(), 64);
  const PromptSet prompts = engine.encode_prompts({class_prompt(7), class_prompt(9)});
  const SceneGenerator scenes(data, SceneOptions(), 1);
  const Scene s = scenes.scene(0);
  const Explanation ex = engine.explain(image_view(s.image), prompts);
  EXPECT_EQ(ex.heatmaps.sizes(), (std::vector<int64_t>{2, 64, 64}));

  const LocalizationReport r =
      evaluate_localization(engine, scenes, 4, {ExplainMethod::Legrad, ExplainMethod::Rollout});
  EXPECT_EQ(r.scenes, 4);
  EXPECT_EQ(r.methods.size(), 2u);
  for (const auto& [name, m] : r.methods) {
    for (double v :
         {m.pixel_acc, m.miou, m.map, m.pointing_game, m.pointing_other, m.pointing_near}) {
      EXPECT_GE(v, 0.0) << name;
      EXPECT_LE(v, 1.0) << name;
    }
    EXPECT_LE(m.pointing_game + m.pointing_other + m.pointing_near, 1.0 + 1e-9) << name;
    EXPECT_GE(m.class_sensitivity, -1.0);
    EXPECT_LE(m.class_sensitivity, 1.0);
  }
  EXPECT_NEAR(r.methods.at("rollout").class_sensitivity, 0.0, 1.0);
  int items = 0;
  for (const PointingShares& c : r.methods.at("legrad").by_class) {
    items += c.items;
    EXPECT_LE(c.on_item + c.on_other + c.near, 1.0 + 1e-9);
  }
  EXPECT_EQ(items, r.pairs);
  ASSERT_EQ(r.prompt_similarity.size(), static_cast<size_t>(kFashionClassCount));
  for (int a = 0; a < kFashionClassCount; ++a)
    for (int b = 0; b < kFashionClassCount; ++b) {
      EXPECT_NEAR(r.prompt_similarity[a][b], r.prompt_similarity[b][a], 1e-6);
      if (a == b) {
        EXPECT_NEAR(r.prompt_similarity[a][a], 1.0, 1e-5);
      }
    }
  EXPECT_GT(r.grid_ceiling_miou, 0.8);  // 8-pixel patches can draw these items closely
  EXPECT_GT(r.grid_ceiling_pointing, 0.75);
}

TEST(ToyModel, WorkersShareTheBatch) {
  REQUIRE_FASHION_MNIST();
  const FashionMnist data = FashionMnist::load(kFashionMnistDir, false);
  ToyRecipe recipe;
  recipe.steps = 2;
  recipe.batch = 5;  // shards of 2 and 3
  recipe.warmup_steps = 1;
  recipe.patch_weight = 1.0;  // the patch labels are split too
  recipe.value_patch_weight = 1.0;
  recipe.value_patch_targets = ValueTargets::Coverage;
  recipe.value_patch_per_head = true;
  const ToyModel one = train_toy_model(data, recipe);
  recipe.workers = 2;
  const ToyModel two = train_toy_model(data, recipe);
  const ToyModel again = train_toy_model(data, recipe);
  // The shards' gradients add up to the whole batch's (up to the order of float sums). Adam
  // turns float noise in a gradient that should be zero into a full step: the key biases get
  // none (softmax ignores a shift shared by all keys), so they are left out; elsewhere a stray
  // element may do the same.
  EXPECT_NEAR(two.final_loss, one.final_loss, 1e-5 * one.final_loss);
  for (size_t i = 0; i < one.weights.size(); ++i) {
    const std::string& key = one.weights[i].first;
    at::Tensor a = one.weights[i].second.clone(), b = two.weights[i].second.clone();
    if (key.size() > 17 && key.compare(key.size() - 17, 17, "attn.in_proj_bias") == 0) {
      const int64_t width = a.numel() / 3;
      a.slice(0, width, 2 * width).zero_();
      b.slice(0, width, 2 * width).zero_();
    }
    EXPECT_LE(((a - b).abs() > 1e-5).sum().item<int64_t>(), std::max<int64_t>(1, a.numel() / 1000))
        << key;
    EXPECT_TRUE(two.weights[i].second.equal(again.weights[i].second)) << key;  // deterministic
  }
  recipe.workers = 6;
  EXPECT_THROW(train_toy_model(data, recipe), Error);
}

// The bundled model and held-out scenes at its input size (seed 1000), for the benchmarks.
struct BundledModelOnScenes {
  const LegradEngine engine{ModelRequest{default_model_path()}};
  const SceneGenerator scenes{FashionMnist::load(kFashionMnistDir, false),
                              SceneOptions::for_size(engine.input_size()), 1000};
};

// The bundled model localises what a prompt names: LeGrad's maximum lands on or next to the
// prompted item most of the time and on another item far less often than rollout's, which
// does not look at the prompt.
TEST(ToyModel, BundledModelLocalisesItsPrompts) {
  REQUIRE_FASHION_MNIST();
  const BundledModelOnScenes bench;
  const LocalizationReport r = evaluate_localization(
      bench.engine, bench.scenes, 60, {ExplainMethod::Legrad, ExplainMethod::Rollout});
  const MethodScores& legrad = r.methods.at("legrad");
  const MethodScores& rollout = r.methods.at("rollout");
  EXPECT_GT(legrad.pointing_game, 0.4);
  EXPECT_GT(legrad.pointing_game + legrad.pointing_near, 0.6);
  EXPECT_LT(legrad.pointing_other, rollout.pointing_other / 2);
  EXPECT_GT(legrad.class_sensitivity, rollout.class_sensitivity + 0.03);
  EXPECT_GT(r.presence_auc, 0.85);
  EXPECT_GT(r.grid_ceiling_pointing, 0.9);
}

// Blacking out the pixels LeGrad ranks least relevant keeps the bundled model's zero-shot
// answer far better than blacking out random ones, and blacking out those it ranks most
// relevant takes it away faster than Grad-CAM's ranking does.
TEST(ToyModel, BundledModelPerturbationFavoursLegrad) {
  REQUIRE_FASHION_MNIST();
  const BundledModelOnScenes bench;
  const PerturbationReport r = evaluate_perturbation(
      bench.engine, bench.scenes, 16, {ExplainMethod::Legrad, ExplainMethod::GradCam}, 7);
  ASSERT_EQ(r.fractions.size(), 9u);
  const PerturbationCurves& legrad = r.methods.at("legrad");
  const PerturbationCurves& random = r.methods.at(kRandomMapBaseline);
  EXPECT_GT(legrad.negative_auc, random.negative_auc + 15);
  EXPECT_LT(legrad.positive_auc, r.methods.at("gradcam").positive_auc - 5);
  EXPECT_GT(r.clean_accuracy, 50);
}

// A few steps on tiny batches: enough to exercise training, not to learn.
ToyRecipe short_recipe() {
  ToyRecipe recipe;
  recipe.steps = 2;
  recipe.batch = 2;
  recipe.warmup_steps = 1;
  return recipe;
}

// The weights after one step at a negligible learning rate: the start itself.
NamedTensors start_of(const FashionMnist& data, ToyRecipe recipe) {
  recipe.steps = 1;
  recipe.batch = 2;
  recipe.warmup_steps = 1;
  recipe.lr = 1e-12;
  return train_toy_model(data, recipe).weights;
}

const at::Tensor& weight(const NamedTensors& w, const std::string& key) {
  for (const auto& [k, t] : w)
    if (k == key) return t;
  throw Error("no " + key);
}

TEST(ToyModel, StartsAsTheRecipeSays) {
  REQUIRE_FASHION_MNIST();
  const FashionMnist data = FashionMnist::load(kFashionMnistDir, false);
  ToyRecipe recipe;
  const std::string attn = "visual.transformer.resblocks.0.attn.";
  auto value_out_diagonal = [&](const NamedTensors& w) {  // mean diagonal of W_o W_v
    const at::Tensor v = weight(w, attn + "in_proj_weight").slice(0, 256, 384);
    return at::matmul(weight(w, attn + "out_proj.weight"), v).diagonal().mean().item<double>();
  };

  recipe.start = ToyStart::Random;
  const NamedTensors random = start_of(data, recipe);
  EXPECT_NEAR(value_out_diagonal(random), 0.0, 0.1);

  recipe.start = ToyStart::Sincos;
  const NamedTensors sincos = start_of(data, recipe);
  const at::Tensor pos = weight(sincos, "visual.positional_embedding");  // [1 + 8*8, 128]
  EXPECT_LT(pos[0].abs().max().item<float>(), 1e-9f);  // class token (one negligible step)
  auto similarity = [&](int a, int b) { return at::dot(pos[1 + a], pos[1 + b]).item<double>(); };
  EXPECT_GT(similarity(0, 1), similarity(0, 63));  // neighbours alike, far corners not
  EXPECT_GT(similarity(0, 8), similarity(0, 63));
  EXPECT_NEAR(value_out_diagonal(sincos), 0.0, 0.1);

  recipe.start = ToyStart::Mimetic;
  const NamedTensors mimetic = start_of(data, recipe);
  EXPECT_TRUE(weight(mimetic, "visual.positional_embedding").allclose(pos));
  EXPECT_LT(value_out_diagonal(mimetic), -0.3);  // W_o W_v ~ 0.4 Z - 0.4 I
  const at::Tensor in_proj = weight(mimetic, attn + "in_proj_weight");
  for (int h = 0; h < 4; ++h) {  // W_q^T W_k ~ 0.7 Z + 0.7 I, rank 32 per head
    const at::Tensor q = in_proj.slice(0, 32 * h, 32 * (h + 1));
    const at::Tensor k = in_proj.slice(0, 128 + 32 * h, 128 + 32 * (h + 1));
    EXPECT_GT(at::matmul(q.t(), k).trace().item<double>(), 10.0) << "head " << h;
  }

  EXPECT_EQ(parse_toy_start("mimetic"), ToyStart::Mimetic);
  EXPECT_THROW(parse_toy_start("pretrained"), Error);
}

// Training continues from a model at another input size: its weights, with the positional
// embedding resampled as for explaining at the new size.
TEST(ToyModel, ContinuesFromAModelAtAnotherSize) {
  REQUIRE_FASHION_MNIST();
  const FashionMnist data = FashionMnist::load(kFashionMnistDir, false);
  ToyRecipe recipe = short_recipe();
  const ToyModel small = train_toy_model(data, recipe);
  test::TempDir dir;
  save_toy_model(small, dir.path(), "{}\n");
  recipe.init = dir.path();
  recipe.scenes = SceneOptions::for_size(96);
  const NamedTensors larger = start_of(data, recipe);
  EXPECT_EQ(toy_clip_config(96).vision.grid(), 12);
  const at::Tensor resampled =
      load_clip_model(locate_model_files(dir.path()), c10::kCPU)->positional_embedding(96);
  EXPECT_EQ(resampled.size(0), 1 + 12 * 12);
  EXPECT_TRUE(weight(larger, "visual.positional_embedding").allclose(resampled, 1e-5, 1e-6));
  EXPECT_TRUE(
      weight(larger, "visual.proj").allclose(weight(small.weights, "visual.proj"), 1e-5, 1e-6));
  recipe.init = "/nonexistent";
  EXPECT_THROW(train_toy_model(data, recipe), Error);
}

TEST(ToyModel, PatchLossTrainsFromTheMasks) {
  REQUIRE_FASHION_MNIST();
  const FashionMnist data = FashionMnist::load(kFashionMnistDir, false);
  ToyRecipe recipe = short_recipe();
  const ToyModel without = train_toy_model(data, recipe);
  recipe.patch_weight = 1.0;
  recipe.value_patch_per_head = true;  // no value-patch loss (weight 0): nothing to do per head
  const ToyModel with = train_toy_model(data, recipe);
  EXPECT_TRUE(std::isfinite(with.final_loss));
  // Same start, same scenes: only the extra loss can tell the projections apart.
  EXPECT_FALSE(
      weight(with.weights, "visual.proj").allclose(weight(without.weights, "visual.proj")));
}

TEST(ToyModel, PatchTargetsLeaveOutPartlyCoveredPatchesOnRequest) {
  const at::Tensor coverage = at::tensor({0.0f, 0.1f, 0.25f, 1.0f});
  EXPECT_TRUE(patch_targets(coverage, false).equal(at::tensor({-1.0f, -1.0f, 1.0f, 1.0f})));
  EXPECT_TRUE(patch_targets(coverage, true).equal(at::tensor({-1.0f, 0.0f, 1.0f, 1.0f})));
}

TEST(ToyModel, ValueTargetsHaveNames) {
  for (ValueTargets t : {ValueTargets::Quarter, ValueTargets::Coverage})
    EXPECT_EQ(parse_value_targets(value_targets_name(t)), t);
  EXPECT_THROW(parse_value_targets("half"), Error);
}

TEST(ToyModel, HeadsValueContributionsAddUpToTheWhole) {
  const ClipConfig config = toy_clip_config(64);
  const ClipModel model(
      config, TensorWeights(random_clip_weights(config, 3, WeightInit::Training), "random"),
      c10::kCPU);
  at::NoGradGuard no_grad;
  const ResidualBlock& block = model.vision_blocks().back();
  const AttentionParts parts = attention(block, model.embed_image(at::randn({2, 3, 64, 64})));
  const at::Tensor heads = value_contributions(block, parts, true);
  const int64_t patches = config.vision.grid() * config.vision.grid();
  const int64_t count = config.vision.width / config.vision.head_width;
  EXPECT_EQ(heads.sizes(), at::IntArrayRef({2, count, patches, config.vision.width}));
  EXPECT_TRUE((heads.sum(1) + block.out_proj_bias)
                  .allclose(value_contributions(block, parts, false), 1e-5, 1e-5));
  EXPECT_EQ(value_readout(model, block, parts, true).sizes(),
            at::IntArrayRef({2, count, patches, config.embed_dim}));
}

// How the last block's value readout scores each item's prompt over the patches (in units of
// that prompt's spread over all patches), averaged over a few held-out scenes (and over the
// heads with `per_head`): how much more on the item's own patches than on another item's, and
// on the patches it fills (three quarters) than on those it only grazes (under a quarter).
struct ReadoutContrast {
  double own_vs_other = 0, filled_vs_grazed = 0;
};

ReadoutContrast value_readout_contrast(const ToyModel& trained, const FashionMnist& data,
                                       bool per_head = false) {
  const ClipModel model(trained.config, TensorWeights(trained.weights, "toy model"), c10::kCPU);
  std::vector<std::string> prompts;
  for (int label = 0; label < kFashionClassCount; ++label) prompts.push_back(class_prompt(label));
  at::NoGradGuard no_grad;
  const at::Tensor text = model.encode_text(
      WordTokenizer(trained.words).tokenize_prompts(prompts, trained.config.text.context_length));
  const SceneGenerator scenes(data, SceneOptions::for_size(trained.config.vision.image_size), 5);
  const int patch = trained.config.vision.patch_size;
  ReadoutContrast sum;
  int pairs = 0, items = 0;
  for (int i = 0; i < 8; ++i) {
    const Scene scene = scenes.scene(i);
    at::Tensor x = model.embed_image(
        normalize_pixels(scene.image, PixelNormalization(trained.config.mean, trained.config.std)));
    const auto& blocks = model.vision_blocks();
    for (size_t l = 0; l + 1 < blocks.size(); ++l)
      x = block_forward(blocks[l], x, model.activation());
    at::Tensor scores =  // [readouts, g*g, classes]
        at::matmul(value_readout(model, blocks.back(), attention(blocks.back(), x), per_head)[0],
                   text.t());
    if (!per_head) scores = scores.unsqueeze(0);
    auto coverage_of = [&](const SceneItem& item) {
      return at::avg_pool2d(item.mask.to(at::kFloat).unsqueeze(0), patch).flatten();
    };
    auto contrast = [&](int label, const at::Tensor& high, const at::Tensor& low) {
      double c = 0;
      for (int64_t r = 0; r < scores.size(0); ++r) {
        const at::Tensor own = scores[r].select(1, label);
        c += (own.masked_select(high).mean().item<double>() -
              own.masked_select(low).mean().item<double>()) /
             own.std().item<double>();
      }
      return c / scores.size(0);
    };
    for (const SceneItem& item : scene.items) {
      const at::Tensor coverage = coverage_of(item);
      const at::Tensor grazed = (coverage > 0) & (coverage < 0.25);
      if (grazed.any().item<bool>()) {
        sum.filled_vs_grazed += contrast(item.label, coverage >= 0.75, grazed);
        ++items;
      }
      for (const SceneItem& other : scene.items)
        if (&other != &item) {
          sum.own_vs_other += contrast(item.label, coverage >= 0.5, coverage_of(other) >= 0.5);
          ++pairs;
        }
    }
  }
  return {sum.own_vs_other / pairs, sum.filled_vs_grazed / items};
}

// From the bundled model (a random start's value vectors carry no item for many steps).
ToyRecipe value_recipe() {
  ToyRecipe recipe = short_recipe();
  recipe.init = default_model_path();
  recipe.scenes = SceneOptions::for_size(128);
  recipe.steps = 20;
  recipe.batch = 4;
  recipe.lr = 1e-3;
  recipe.scenes.min_items = 2;
  return recipe;
}

TEST(ToyModel, ValuePatchLossTeachesEachPatchItsOwnItem) {
  REQUIRE_FASHION_MNIST();
  const FashionMnist data = FashionMnist::load(kFashionMnistDir, false);
  ToyRecipe recipe = value_recipe();
  const ToyModel without = train_toy_model(data, recipe);
  recipe.value_patch_weight = 10.0;
  const ToyModel quarter = train_toy_model(data, recipe);
  recipe.value_patch_targets = ValueTargets::Coverage;
  const ToyModel coverage = train_toy_model(data, recipe);
  recipe.value_patch_per_head = true;
  const ToyModel heads = train_toy_model(data, recipe);
  const ReadoutContrast before = value_readout_contrast(without, data);
  const ReadoutContrast after = value_readout_contrast(quarter, data);
  EXPECT_GT(after.own_vs_other, before.own_vs_other + 0.05)
      << "without the loss " << before.own_vs_other;
  // Quarter targets leave the grazed patches out; coverage targets rank them lower.
  EXPECT_GT(value_readout_contrast(coverage, data).filled_vs_grazed, after.filled_vs_grazed)
      << "without the loss " << before.filled_vs_grazed;
  // Per head: each head's own readout learns the items.
  const ReadoutContrast heads_before = value_readout_contrast(without, data, true);
  const ReadoutContrast heads_after = value_readout_contrast(heads, data, true);
  EXPECT_GT(heads_after.own_vs_other, heads_before.own_vs_other + 0.05)
      << "without the loss " << heads_before.own_vs_other;
}

}  // namespace
}  // namespace legrad
