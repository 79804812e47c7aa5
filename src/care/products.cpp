#include "headspa/care/products.hpp"

#include <algorithm>
#include <set>

#include "embedded.hpp"
#include "yaml_reader.hpp"

namespace headspa::care {
namespace {

using detail::child_path;
using detail::index_path;
using detail::Reader;

constexpr std::string_view kProductsFormat = "headspa/products@1";

bool is_snake_id(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string read_snake(const Reader& r, const YAML::Node& node, std::string_view path) {
  std::string id = r.string(node, path);
  if (!is_snake_id(id)) r.fail(node, path, "expected a snake_case id, found '" + id + "'");
  return id;
}

}  // namespace

ProductCatalogue ProductCatalogue::parse(std::string_view text, std::string_view file_name) {
  const Reader r(file_name);
  const YAML::Node root = r.load(text);
  r.expect_map(root, "", {"format", "ingredients", "products"});
  r.expect_format(root, kProductsFormat);
  ProductCatalogue cat;
  std::set<std::string> ids;
  const auto ingredients = r.sequence(r.required(root, "ingredients", ""), "ingredients");
  for (std::size_t i = 0; i < ingredients.size(); ++i) {
    const std::string path = index_path("ingredients", i);
    r.expect_map(ingredients[i], path, {"id", "name", "families"});
    Ingredient ing;
    ing.id = read_snake(r, r.required(ingredients[i], "id", path), child_path(path, "id"));
    ing.name = r.string(r.required(ingredients[i], "name", path), child_path(path, "name"));
    const auto families =
        r.sequence(r.required(ingredients[i], "families", path), child_path(path, "families"));
    for (std::size_t f = 0; f < families.size(); ++f) {
      ing.families.push_back(
          read_snake(r, families[f], index_path(child_path(path, "families"), f)));
    }
    if (!ids.insert(ing.id).second) {
      r.fail(ingredients[i], child_path(path, "id"), "duplicate ingredient '" + ing.id + "'");
    }
    cat.ingredients_.push_back(std::move(ing));
  }
  ids.clear();
  const auto products = r.sequence(r.required(root, "products", ""), "products");
  for (std::size_t i = 0; i < products.size(); ++i) {
    const std::string path = index_path("products", i);
    const YAML::Node& node = products[i];
    r.expect_map(node, path, {"id", "name", "role", "ingredients", "suits", "serves"});
    Product p;
    p.id = read_snake(r, r.required(node, "id", path), child_path(path, "id"));
    p.name = r.string(r.required(node, "name", path), child_path(path, "name"));
    p.role = r.enumeration<ProductRole>(r.required(node, "role", path), child_path(path, "role"),
                                        "product role");
    const std::string ing_path = child_path(path, "ingredients");
    const YAML::Node ing_node = r.required(node, "ingredients", path);
    p.ingredients = r.strings(ing_node, ing_path);
    if (p.ingredients.empty()) r.fail(ing_node, ing_path, "expected at least one ingredient");
    const auto ing_items = r.sequence(ing_node, ing_path);
    p.sulfate_free = true;
    for (std::size_t k = 0; k < p.ingredients.size(); ++k) {
      const Ingredient* ing = cat.find_ingredient(p.ingredients[k]);
      if (ing == nullptr) {
        r.fail(ing_items[k], index_path(ing_path, k),
               "unknown ingredient '" + p.ingredients[k] + "' (list it under ingredients)");
      }
      if (std::find(ing->families.begin(), ing->families.end(), "sulfate") != ing->families.end()) {
        p.sulfate_free = false;
      }
    }
    if (auto v = Reader::optional(node, "suits"); v.IsDefined()) {
      p.suits = r.enumerations<ScalpFindingName>(v, child_path(path, "suits"), "finding");
    }
    if (auto v = Reader::optional(node, "serves"); v.IsDefined()) {
      p.serves = r.enumerations<Goal>(v, child_path(path, "serves"), "goal");
    }
    if (!ids.insert(p.id).second) {
      r.fail(node, child_path(path, "id"), "duplicate product '" + p.id + "'");
    }
    cat.products_.push_back(std::move(p));
  }
  return cat;
}

const Product* ProductCatalogue::find(std::string_view product_id) const noexcept {
  for (const auto& p : products_) {
    if (p.id == product_id) return &p;
  }
  return nullptr;
}

const Ingredient* ProductCatalogue::find_ingredient(std::string_view ingredient_id) const noexcept {
  for (const auto& i : ingredients_) {
    if (i.id == ingredient_id) return &i;
  }
  return nullptr;
}

bool ProductCatalogue::knows_allergen(std::string_view name) const noexcept {
  for (const auto& i : ingredients_) {
    if (i.id == name) return true;
    if (std::find(i.families.begin(), i.families.end(), name) != i.families.end()) return true;
  }
  return false;
}

std::optional<std::string> ProductCatalogue::allergen_in(const Product& product,
                                                         std::string_view allergen) const {
  for (const auto& id : product.ingredients) {
    if (id == allergen) return id;
    const Ingredient* ing = find_ingredient(id);
    if (ing != nullptr &&
        std::find(ing->families.begin(), ing->families.end(), allergen) != ing->families.end()) {
      return id;
    }
  }
  return std::nullopt;
}

void check_protocol_products(const Protocol& protocol, const ProductCatalogue& catalogue) {
  for (const auto& step : protocol.steps) {
    if (step.is_massage()) continue;
    const CareStep& c = step.care();
    for (std::size_t i = 0; i < c.products.size(); ++i) {
      InputLocation where = step.where;
      where.field_path = index_path(child_path(where.field_path, "products"), i);
      const Product* p = catalogue.find(c.products[i]);
      if (p == nullptr) {
        throw InputError(where,
                         "unknown product '" + c.products[i] + "' (not in the product catalogue)");
      }
      const bool fits = c.kind == CareKind::kSerumOrMask
                            ? (p->role == ProductRole::kSerum || p->role == ProductRole::kMask)
                            : c.product_role && p->role == *c.product_role;
      if (!fits) {
        throw InputError(where, "product '" + p->id + "' is a " + std::string(to_string(p->role)) +
                                    ", not what a " + std::string(to_string(c.kind)) +
                                    " step uses");
      }
    }
  }
}

const ProductCatalogue& builtin_catalogue() {
  // Parsed once from the embedded file; immutable afterwards.
  static const ProductCatalogue catalogue = ProductCatalogue::parse(
      detail::embedded_text("data/products.yaml"), "builtin:data/products.yaml");
  return catalogue;
}

}  // namespace headspa::care
