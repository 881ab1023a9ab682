"""Catalogue endpoints (read-only): products with their SKUs, and SKUs with their set components."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from oms.api import selectors
from oms.api.pagination import CodeCursorPagination
from oms.api.schema import api_responses


class SetComponentSerializer(serializers.Serializer):
    sku = serializers.CharField(source="component.code")
    quantity = serializers.IntegerField(help_text="Units of this component in one set.")


class SKUSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    product = serializers.CharField(source="product.code")
    jan = serializers.CharField(help_text="JAN code (8 or 13 digits) or empty.")
    location_code = serializers.CharField(help_text="Shelf location, e.g. A-01-03.")
    weight_g = serializers.IntegerField()
    price = serializers.IntegerField(help_text="JPY, tax included.")
    is_set = serializers.BooleanField(help_text="A set (セット商品) ships its components.")
    components = SetComponentSerializer(many=True)


class ProductSKUSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    jan = serializers.CharField()
    price = serializers.IntegerField()
    is_set = serializers.BooleanField()


class ProductSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    skus = ProductSKUSerializer(many=True)
    created_at = serializers.DateTimeField()


class SKUFilterSerializer(serializers.Serializer):
    code = serializers.CharField(required=False, help_text="One SKU code, or several separated by commas.")
    product = serializers.CharField(required=False, help_text="Product code.")
    jan = serializers.CharField(required=False, help_text="JAN code (exact).")

    def validate_code(self, value: str) -> list[str]:
        return [code.strip() for code in value.split(",") if code.strip()][:200]


class ProductFilterSerializer(serializers.Serializer):
    code = serializers.CharField(required=False, help_text="Product code (exact).")


SKU_EXAMPLE = {
    "code": "TSHIRT-BLK-M",
    "name": "Tシャツ 黒 M",
    "product": "TSHIRT",
    "jan": "4901234567894",
    "location_code": "A-01-03",
    "weight_g": 180,
    "price": 2980,
    "is_set": False,
    "components": [],
}


class CatalogMixin:
    required_scope = "products:read"
    filter_backends: list = []
    pagination_class = CodeCursorPagination


class ProductListApi(CatalogMixin, GenericAPIView):
    """Products in code order, each with its SKUs (variations)."""

    serializer_class = ProductSerializer

    @extend_schema(
        operation_id="products_list",
        tags=["catalogue"],
        parameters=[ProductFilterSerializer],
        responses=api_responses({200: ProductSerializer(many=True)}, 400),
    )
    def get(self, request):
        filters = ProductFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.product_list(**filters.validated_data))
        return self.get_paginated_response(ProductSerializer(page, many=True).data)


class ProductDetailApi(CatalogMixin, GenericAPIView):
    """One product with its SKUs."""

    serializer_class = ProductSerializer

    @extend_schema(
        operation_id="products_retrieve",
        tags=["catalogue"],
        responses=api_responses({200: ProductSerializer}, 404),
    )
    def get(self, request, code: str):
        product = selectors.product_list(code=code).first()
        if product is None:
            raise NotFound(_("No product %(code)s.") % {"code": code})
        return Response(ProductSerializer(product).data)


class SKUListApi(CatalogMixin, GenericAPIView):
    """SKUs in code order, with their product and, for sets, their components."""

    serializer_class = SKUSerializer

    @extend_schema(
        operation_id="skus_list",
        tags=["catalogue"],
        parameters=[SKUFilterSerializer],
        responses=api_responses({200: SKUSerializer(many=True)}, 400),
        examples=[OpenApiExample("page", value=SKU_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        filters = SKUFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(
            selectors.sku_list(
                codes=filters.validated_data.get("code"),
                product=filters.validated_data.get("product"),
                jan=filters.validated_data.get("jan"),
            )
        )
        return self.get_paginated_response(SKUSerializer(page, many=True).data)


class SKUDetailApi(CatalogMixin, GenericAPIView):
    """One SKU."""

    serializer_class = SKUSerializer

    @extend_schema(
        operation_id="skus_retrieve",
        tags=["catalogue"],
        responses=api_responses({200: SKUSerializer}, 404),
        examples=[OpenApiExample("sku", value=SKU_EXAMPLE, response_only=True)],
    )
    def get(self, request, code: str):
        sku = selectors.sku_list(codes=[code]).first()
        if sku is None:
            raise NotFound(_("No SKU %(sku)s.") % {"sku": code})
        return Response(SKUSerializer(sku).data)
