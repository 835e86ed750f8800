from django.urls import path

from newsdesk.desk import views

app_name = "desk"
urlpatterns = [
    path("", views.desk, name="home"),
    path("updates/<int:pk>/edit/", views.edit, name="edit"),
    path("updates/<int:pk>/correct/", views.correct, name="correct"),
    path("updates/<int:pk>/publish/", views.publish, name="publish"),
    path("updates/<int:pk>/delete/", views.delete, name="delete"),
    path("feeds/<int:feed_id>/what-we-know/", views.what_we_know, name="what_we_know"),
    path("incoming/events/", views.incoming_events, name="incoming_events"),
    path("incoming/<int:pk>/use/", views.use_item, name="use_item"),
    path("incoming/<int:pk>/article/", views.article_from_item, name="article_from_item"),
    path("incoming/<int:pk>/dismiss/", views.dismiss_item, name="dismiss_item"),
]
