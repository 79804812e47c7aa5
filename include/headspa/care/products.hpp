// The product catalogue: products, their roles and ingredients, used to pick a product for each
// care step and to keep every allergen out of a plan. Built-in catalogue: builtin_catalogue().
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/care/protocol.hpp"
#include "headspa/care/vocabulary.hpp"

namespace headspa::care {

// An ingredient and the families it belongs to (e.g. tea_tree_oil: essential_oil).
struct Ingredient {
  std::string id;    // snake_case, e.g. "coconut_oil"
  std::string name;  // for people
  std::vector<std::string> families;
};

// A product a care step can use.
struct Product {
  std::string id;    // snake_case, e.g. "cleanser_moisturising"
  std::string name;  // for people
  ProductRole role = ProductRole::kCleanser;
  std::vector<std::string> ingredients;  // ingredient ids, all in the catalogue
  std::vector<ScalpFindingName> suits;   // findings the product is chosen for
  std::vector<Goal> serves;              // goals the product is chosen for
  bool sulfate_free = false;             // derived: no ingredient of the "sulfate" family
};

// Products and ingredients (format `headspa/products@1`).
class ProductCatalogue {
 public:
  // Reads and validates a catalogue; InputError on problems (unknown ingredient, duplicate id).
  static ProductCatalogue parse(std::string_view text, std::string_view file_name);

  // Every product, in file order.
  const std::vector<Product>& products() const noexcept { return products_; }
  // Every ingredient, in file order.
  const std::vector<Ingredient>& ingredients() const noexcept { return ingredients_; }
  // The product with this id, or nullptr.
  const Product* find(std::string_view product_id) const noexcept;
  // The ingredient with this id, or nullptr.
  const Ingredient* find_ingredient(std::string_view ingredient_id) const noexcept;
  // True when name is an ingredient id or an ingredient family in the catalogue.
  bool knows_allergen(std::string_view name) const noexcept;
  // The product's first ingredient that is `allergen` or belongs to that family; nullopt if none.
  std::optional<std::string> allergen_in(const Product& product, std::string_view allergen) const;

 private:
  std::vector<Product> products_;
  std::vector<Ingredient> ingredients_;
};

// The catalogue built into headspa (src/care/data/products.yaml).
const ProductCatalogue& builtin_catalogue();

// Checks that every product a protocol's care steps name is in the catalogue and fits the
// step's kind; InputError at the step ("file:line:column: steps[i].products: ...") otherwise.
void check_protocol_products(const Protocol& protocol, const ProductCatalogue& catalogue);

}  // namespace headspa::care
