import Foundation

/// Realistic documents of each format the importers read.
enum ImportFixtures {
    static let openAPI31YAML = """
        openapi: 3.1.0
        info:
          title: Pet Clinic
          version: 1.0.0
        servers:
          - url: https://{region}.api.example.com/{version}
            description: production
            variables:
              region:
                default: eu
                enum: [eu, us]
              version:
                default: v2
          - url: http://localhost:8080/v2
            description: local
        paths:
          /owners/{ownerId}/pets:
            parameters:
              - $ref: '#/components/parameters/OwnerId'
            get:
              operationId: listPets
              tags: [pets]
              summary: List an owner's pets
              parameters:
                - name: limit
                  in: query
                  required: true
                  schema: {type: integer, minimum: 1, maximum: 100}
              responses:
                '200':
                  description: The pets
                  content:
                    application/json:
                      schema:
                        type: array
                        items: {$ref: '#/components/schemas/Pet'}
                default:
                  $ref: '#/components/responses/Error'
            post:
              operationId: createPet
              tags: [pets]
              requestBody:
                $ref: '#/components/requestBodies/NewPet'
              responses:
                '201':
                  description: Created
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Pet'}
                '400':
                  $ref: '#/components/responses/Error'
          /owners/{ownerId}/pets/{petId}:
            get:
              operationId: getPet
              tags: [pets]
              parameters:
                - $ref: '#/components/parameters/OwnerId'
                - name: petId
                  in: path
                  required: true
                  schema: {type: string, format: uuid}
                  example: 7d444840-9dc0-11d1-b245-5ffdce74fad2
              responses:
                '200':
                  description: The pet
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Pet'}
            delete:
              parameters:
                - $ref: '#/components/parameters/OwnerId'
                - $ref: '#/components/parameters/Missing'
              responses:
                '204':
                  description: Deleted
          /categories:
            get:
              operationId: listCategories
              responses:
                '200':
                  description: The category tree
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Category'}
            put:
              operationId: listPets
              requestBody:
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/Category'}
              responses:
                '200':
                  description: Replaced
            fetch:
              responses: {}
        components:
          parameters:
            OwnerId:
              name: ownerId
              in: path
              required: true
              schema: {type: integer, minimum: 1}
              example: 42
          requestBodies:
            NewPet:
              required: true
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/NewPet'}
          responses:
            Error:
              description: An error
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Error'}
          schemas:
            NewPet:
              allOf:
                - $ref: '#/components/schemas/PetBase'
                - type: object
                  required: [kind]
                  properties:
                    kind:
                      oneOf:
                        - $ref: '#/components/schemas/Dog'
                        - $ref: '#/components/schemas/Cat'
            PetBase:
              type: object
              required: [name, birthDate, status, weight]
              properties:
                name: {type: string, minLength: 12, maxLength: 40}
                birthDate: {type: string, format: date}
                status: {type: string, enum: [available, pending, sold]}
                tag: {type: [string, "null"]}
                weight: {type: number, exclusiveMinimum: 0, maximum: 90}
            Dog:
              type: object
              required: [breed]
              properties:
                breed: {type: string, enum: [collie, pug]}
                barks: {type: boolean}
            Cat:
              type: object
              required: [indoor]
              properties:
                indoor: {type: boolean}
            Pet:
              allOf:
                - $ref: '#/components/schemas/NewPet'
                - type: object
                  required: [id]
                  properties:
                    id: {type: string, format: uuid}
            Category:
              type: object
              required: [name]
              properties:
                name: {type: string}
                children:
                  type: array
                  items: {$ref: '#/components/schemas/Category'}
            Error:
              type: object
              properties:
                code: {type: integer}
                message: {type: string}
        """

    static let openAPI30JSON = """
        {
          "openapi": "3.0.3",
          "info": {"title": "Orders", "version": "1"},
          "servers": [{"url": "https://shop.example.com/api"}],
          "paths": {
            "/orders/{orderId}": {
              "parameters": [
                {"name": "orderId", "in": "path", "required": true, "schema": {"type": "integer"}},
                {"name": "X-Tenant", "in": "header", "required": true, "schema": {"type": "string", "enum": ["acme"]}}
              ],
              "patch": {
                "operationId": "updateOrder", "tags": ["orders"], "deprecated": true, "summary": "Update an order",
                "parameters": [
                  {"name": "orderId", "in": "path", "required": true, "description": "The order number",
                   "schema": {"type": "integer", "minimum": 1000}}
                ],
                "requestBody": {"content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/OrderPatch"},
                  "examples": {"ship": {"value": {"status": "shipped"}}}
                }}},
                "responses": {
                  "200": {"description": "The order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
                  "202": {"description": "Accepted"}
                }
              }
            },
            "/login": {
              "post": {
                "operationId": "login",
                "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                  "type": "object", "required": ["username", "password"],
                  "properties": {
                    "username": {"type": "string", "format": "email"},
                    "password": {"type": "string", "minLength": 8},
                    "remember": {"type": "boolean"}
                  }
                }}}},
                "responses": {"204": {"description": "Logged in"}}
              }
            }
          },
          "components": {"schemas": {
            "OrderPatch": {"type": "object", "properties": {"status": {"type": "string", "enum": ["shipped", "cancelled"]}}},
            "Order": {"type": "object", "required": ["id", "total"], "properties": {
              "id": {"type": "integer"},
              "total": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
              "note": {"type": "string", "nullable": true}
            }}
          }}
        }
        """

    static let swaggerPetstore = """
        {
          "swagger": "2.0",
          "info": {"title": "Swagger Petstore", "version": "1.0.0"},
          "host": "petstore.swagger.io",
          "basePath": "/v2",
          "schemes": ["https", "http"],
          "consumes": ["application/json"],
          "produces": ["application/json"],
          "paths": {
            "/pet": {
              "post": {
                "tags": ["pet"], "summary": "Add a new pet to the store", "operationId": "addPet",
                "consumes": ["application/json", "application/xml"], "produces": ["application/xml", "application/json"],
                "parameters": [{"in": "body", "name": "body", "required": true, "schema": {"$ref": "#/definitions/Pet"}}],
                "responses": {"405": {"description": "Invalid input"}}
              }
            },
            "/pet/findByStatus": {
              "get": {
                "tags": ["pet"], "operationId": "findPetsByStatus",
                "parameters": [{"name": "status", "in": "query", "required": true, "type": "array",
                  "items": {"type": "string", "enum": ["available", "pending", "sold"], "default": "available"},
                  "collectionFormat": "multi"}],
                "responses": {
                  "200": {"description": "successful operation", "schema": {"type": "array", "items": {"$ref": "#/definitions/Pet"}}},
                  "400": {"description": "Invalid status value"}
                }
              }
            },
            "/pet/{petId}": {
              "get": {
                "tags": ["pet"], "operationId": "getPetById", "produces": ["application/json"],
                "parameters": [{"name": "petId", "in": "path", "required": true, "type": "integer", "format": "int64"}],
                "responses": {
                  "200": {"description": "successful operation", "schema": {"$ref": "#/definitions/Pet"}},
                  "404": {"description": "Pet not found"}
                }
              },
              "post": {
                "tags": ["pet"], "operationId": "updatePetWithForm", "consumes": ["application/x-www-form-urlencoded"],
                "parameters": [
                  {"name": "petId", "in": "path", "required": true, "type": "integer"},
                  {"name": "name", "in": "formData", "required": false, "type": "string"},
                  {"name": "status", "in": "formData", "required": true, "type": "string"}
                ],
                "responses": {"405": {"description": "Invalid input"}}
              }
            },
            "/pet/{petId}/uploadImage": {
              "post": {
                "tags": ["pet"], "operationId": "uploadFile", "consumes": ["multipart/form-data"],
                "parameters": [
                  {"name": "petId", "in": "path", "required": true, "type": "integer"},
                  {"name": "additionalMetadata", "in": "formData", "type": "string"},
                  {"name": "file", "in": "formData", "required": true, "type": "file"}
                ],
                "responses": {"200": {"description": "successful operation", "schema": {"$ref": "#/definitions/ApiResponse"}}}
              }
            }
          },
          "definitions": {
            "Category": {"type": "object", "properties": {"id": {"type": "integer", "format": "int64"}, "name": {"type": "string"}}},
            "Pet": {"type": "object", "required": ["name", "photoUrls"], "properties": {
              "id": {"type": "integer", "format": "int64"},
              "category": {"$ref": "#/definitions/Category"},
              "name": {"type": "string", "example": "doggie"},
              "photoUrls": {"type": "array", "items": {"type": "string"}},
              "status": {"type": "string", "enum": ["available", "pending", "sold"]}
            }},
            "ApiResponse": {"type": "object", "properties": {
              "code": {"type": "integer", "format": "int32"}, "type": {"type": "string"}, "message": {"type": "string"}
            }}
          }
        }
        """

    static let postmanCollection = """
        {
          "info": {
            "_postman_id": "0f5c4a2e-8d1b-4f7e-9c3a-2b6d8e1f0a47",
            "name": "Shop API",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
          },
          "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{access_token}}", "type": "string"}]},
          "variable": [
            {"key": "base_url", "value": "https://shop.example.com"},
            {"key": "page_size", "value": "20"}
          ],
          "item": [
            {"name": "Users", "item": [
              {"name": "Admin", "item": [
                {"name": "Delete user", "request": {"method": "DELETE", "url": {
                  "raw": "{{base_url}}/users/:userId", "host": ["{{base_url}}"], "path": ["users", ":userId"],
                  "variable": [{"key": "userId", "value": "42"}]}},
                 "response": [{"name": "Deleted", "code": 204}]}
              ]},
              {"name": "List users", "request": {"method": "GET",
                "header": [{"key": "Accept", "value": "application/json"}, {"key": "X-Debug", "value": "1", "disabled": true}],
                "url": {"raw": "{{base_url}}/users?page=1&size={{page_size}}", "host": ["{{base_url}}"], "path": ["users"],
                  "query": [{"key": "page", "value": "1"}, {"key": "size", "value": "{{page_size}}"}]}},
               "response": [{"name": "OK", "code": 200}, {"name": "Bad", "code": 400}]},
              {"name": "Create user", "request": {"method": "POST",
                "header": [{"key": "Content-Type", "value": "application/json"}],
                "body": {"mode": "raw", "raw": "{\\"name\\": \\"Ada\\", \\"role\\": \\"admin\\"}", "options": {"raw": {"language": "json"}}},
                "url": "{{base_url}}/users"}}
            ]},
            {"name": "Login", "request": {
              "auth": {"type": "basic", "basic": [{"key": "username", "value": "{{user}}"}, {"key": "password", "value": "{{password}}"}]},
              "method": "POST",
              "body": {"mode": "urlencoded", "urlencoded": [{"key": "grant_type", "value": "password"}, {"key": "scope", "value": "read"}]},
              "url": "{{auth_url}}/token"}},
            {"name": "Upload avatar", "request": {
              "auth": {"type": "apikey", "apikey": [{"key": "key", "value": "X-API-Key"}, {"key": "value", "value": "{{api_key}}"}, {"key": "in", "value": "header"}]},
              "method": "PUT",
              "body": {"mode": "formdata", "formdata": [
                {"key": "caption", "value": "me", "type": "text"},
                {"key": "avatar", "type": "file", "src": "/home/ada/avatar.png"}
              ]},
              "url": "https://cdn.example.com/avatars/:userId"}},
            {"name": "Public ping", "request": {"auth": {"type": "noauth"}, "method": "GET", "url": "{{base_url}}/ping"}}
          ]
        }
        """

    static let postmanEnvironment = """
        {
          "name": "Staging",
          "values": [
            {"key": "base_url", "value": "https://staging.shop.example.com", "type": "default", "enabled": true},
            {"key": "access_token", "value": "s3cr3t-token", "type": "secret", "enabled": true},
            {"key": "unused", "value": "x", "type": "default", "enabled": false}
          ],
          "_postman_variable_scope": "environment"
        }
        """

    static let har = """
        {"log": {
          "version": "1.2",
          "creator": {"name": "Firefox", "version": "128.0"},
          "entries": [
            {"request": {"method": "GET", "url": "https://api.example.com/users/42?expand=roles", "httpVersion": "HTTP/2",
               "headers": [{"name": ":authority", "value": "api.example.com"}, {"name": "Accept", "value": "application/json"},
                           {"name": "Authorization", "value": "Bearer har-secret-token"}, {"name": "Cookie", "value": "sid=har-session"}],
               "queryString": [{"name": "expand", "value": "roles"}], "cookies": [{"name": "sid", "value": "har-session"}]},
             "response": {"status": 200, "statusText": "OK", "content": {"mimeType": "application/json", "text": "{\\"id\\": 42}"}}},
            {"request": {"method": "GET", "url": "https://api.example.com/users/43", "headers": [], "queryString": []},
             "response": {"status": 404, "statusText": "Not Found"}},
            {"request": {"method": "POST", "url": "https://api.example.com/users",
               "headers": [{"name": "Content-Type", "value": "application/json"}, {"name": "Content-Length", "value": "14"}],
               "postData": {"mimeType": "application/json", "text": "{\\"name\\":\\"Ada\\"}"}},
             "response": {"status": 201, "statusText": "Created"}},
            {"request": {"method": "PUT", "url": "https://api.example.com/users/42/avatar/3fa85f64-5717-4562-b3fc-2c963f66afa6",
               "headers": [{"name": "Content-Type", "value": "application/x-www-form-urlencoded"}],
               "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "visible=true&size=large",
                            "params": [{"name": "visible", "value": "true"}, {"name": "size", "value": "large"}]}},
             "response": {"status": 204, "statusText": "No Content"}},
            {"request": {"method": "GET", "url": "https://cdn.example.com/static/app.js", "headers": []},
             "response": {"status": 200, "statusText": "OK"}}
          ]
        }}
        """

    static let curlCommands = #"""
        curl -X POST https://api.example.com/v1/orders \
          -H 'Content-Type: application/json' \
          -H "Authorization: Bearer tok-123" \
          --data-raw '{"item": "book", "qty": 2}'

        curl -u ada:pa55 "https://api.example.com/v1/orders?status=open&limit=10" --compressed -sS

        curl --request PUT --url https://api.example.com/v1/orders/7 -d 'status=shipped' -d 'note=fast%20please'
        curl -F 'caption=hello' -F 'photo=@/tmp/cat.png;type=image/png' https://api.example.com/v1/photos; curl -I https://api.example.com/v1/health
        curl -G https://api.example.com/v1/search --data-urlencode 'q=a b' --frobnicate
        curl $'https://api.example.com/v1/notes' -H $'X-Note: it\'s \x41' -d "text=say \"hi\""
        """#
}
